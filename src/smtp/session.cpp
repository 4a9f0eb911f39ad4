// The SMTP server state machine (see session.hpp): turns input bytes into
// replies and events. Parsing lives in command/address/dot_decoder; this
// file holds the sequencing rules of RFC 5321 4.1.4 and the extensions,
// the limits, and the message buffer; STARTTLS's reset (RFC 3207), the
// SASL exchanges of AUTH (RFC 4954) and the submission rules (RFC 6409).
//
// Error limits (Postfix's smtpd_soft/hard_error_limit, junk_command_limit):
// every error reply goes through bad() or count_error(), which count it and
// hang up at the hard limit; past the soft limit feed() stops before each
// command line with Event::kDelay, so the driver waits on a timer and the
// replies still go out in order.
//
// Input handling: command lines are found by proto::LineFramer in place in
// the caller's buffer (an incomplete line is left unconsumed, so the
// session itself buffers nothing between calls; an overlong one is skipped
// and answered, as Postfix does); message data is decoded straight into the
// message buffer, which exists only while a message is being received.
#include "smtp/session.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "proto/line_framer.hpp"
#include "smtp/address.hpp"
#include "smtp/command.hpp"
#include "smtp/dot_decoder.hpp"
#include "smtp/line_endings.hpp"
#include "smtp/received.hpp"
#include "smtp/reply.hpp"
#include "smtp/smtp_metrics.hpp"
#include "util/base64.hpp"
#include "util/sasl_plain.hpp"
#include "util/log.hpp"

namespace ringpost::smtp {

namespace {

// Shortest command line limit honoured: below this no command fits.
constexpr uint32_t kMinCommandLine = 64;
// First allocation for the message buffer when the client did not
// announce a SIZE; it grows geometrically from there.
constexpr size_t kInitialMessageBuffer = 16 * 1024;
// A SIZE hint is trusted only up to this much: otherwise many connections
// announcing the maximum and then stalling would pin gigabytes.
constexpr size_t kMaxPreallocation = 1024 * 1024;

enum class Mode : uint8_t {
    kCommand,    // reading command lines (and skipping overlong ones)
    kData,       // DATA content through the dot decoder
    kBdat,       // raw BDAT chunk bytes
    kCommit,     // message handed out, waiting for committed()
    kAuthCheck,  // credentials handed out, waiting for auth_done()
    kStartTls,   // 220 to STARTTLS sent, waiting for tls_started()
    kClosed,     // 221/421 sent
};

enum class Greeting : uint8_t { kNone, kHelo, kEhlo };

// Which SASL response the next input line is (RFC 4954 4: after a 334, the
// client sends a base64 line, or "*" to cancel, not a command).
enum class AuthStep : uint8_t { kNone, kPlain, kLoginUser, kLoginPassword };

// The LOGIN mechanism's prompts, "Username:" and "Password:" in base64.
constexpr std::string_view kLoginUserPrompt = "VXNlcm5hbWU6";
constexpr std::string_view kLoginPasswordPrompt = "UGFzc3dvcmQ6";

}  // namespace

struct Session::Impl {
    Impl(SessionConfig c, Policy& p, ClientInfo ci) : config(std::move(c)), policy(p), client(std::move(ci)) {
        if (config.limits.max_command_line < kMinCommandLine) config.limits.max_command_line = kMinCommandLine;
    }

    // A copy, not a reference: a session must not depend on the lifetime
    // of whatever configuration object it was created from.
    SessionConfig config;
    Policy& policy;
    ClientInfo client;
    Stats stats;

    Mode mode = Mode::kCommand;
    proto::LineFramer framer;       // command lines, in place in the caller's buffer
    Greeting greeting = Greeting::kNone;
    Extensions ext;
    std::string helo;

    // AUTH in progress and its outcome so far.
    AuthStep auth_step = AuthStep::kNone;
    AuthRequest auth;               // filled for kAuthCheck (LOGIN: the user first)
    uint32_t auth_failures = 0;
    size_t received_len = 0;        // bytes of our Received: header at the start of `data`

    // Postfix's error_count and junk_cmds: both forgiven when a message is
    // accepted (stats.bad_commands keeps the session's total for the log).
    uint32_t error_count = 0;
    uint32_t junk_commands = 0;
    bool delay_served = false;      // the pending command line has had its kDelay
    bool error_hangup = false;      // closed at hard_error_limit

    // Transaction (MAIL .. end of data).
    bool has_mail = false;
    bool message_started = false;   // queue ID allocated, Received: written
    bool used_bdat = false;
    // The command being answered and the recipient it names, for
    // Policy::rejected (views into the line, valid while it is answered).
    std::string_view stage;
    std::string_view refused_rcpt;
    uint32_t rcpt_commands = 0;     // RCPTs tried, to tell "none given" from "all refused"
    uint64_t declared_size = 0;
    mail::Envelope env;
    std::string data;
    DotDecoder dot;

    // BDAT chunk in progress.
    uint64_t bdat_remaining = 0;
    uint64_t bdat_chunk = 0;
    uint64_t bdat_total = 0;        // client bytes of all chunks of this message
    bool bdat_last = false;
    bool bdat_store = false;        // false: discard the chunk, then send bdat_refusal
    bool bdat_overflow = false;
    Reply bdat_refusal;             // static texts only: it outlives the input

    // Kept apart from env because take_message() moves env out before
    // committed() needs the ID for its reply.
    std::array<char, 32> qid{};
    size_t qid_len = 0;
    uint64_t committing_bytes = 0;   // the message take_message() handed out, for the counters
    const SmtpMetrics& counters = smtp_metrics();

    // 0 means "no limit" for every limit, as in Postfix.
    uint64_t size_limit() const {
        return config.limits.max_message_size == 0 ? UINT64_MAX : config.limits.max_message_size;
    }

    // One error against the limits. At hard_error_limit the 421 follows
    // and the session ends (Postfix's smtpd_hard_error_limit), so a
    // confused or hostile client (one harvesting addresses with RCPT, say)
    // cannot keep the connection busy with garbage.
    void count_error(std::string& out) {
        ++stats.bad_commands;
        ++error_count;
        if (mode == Mode::kClosed) return;
        if (config.limits.hard_error_limit != 0 && error_count >= config.limits.hard_error_limit) {
            append_reply(out, 421, "4.7.0", {config.hostname, " Error: too many errors"});
            log::info("smtp_too_many_errors", {{"client", client.ip}, {"errors", error_count}});
            error_hangup = true;
            mode = Mode::kClosed;
        }
    }
    // An error reply (4xx/5xx), counted.
    void bad(std::string& out, uint16_t code, std::string_view status,
             std::initializer_list<std::string_view> parts) {
        append_reply(out, code, status, parts);
        if (policy.wants_rejections()) report_rejection(code, status, parts);
        count_error(out);
    }
    void report_rejection(uint16_t code, std::string_view status, std::initializer_list<std::string_view> parts) {
        std::string text;
        for (std::string_view p : parts) text += p;
        policy.rejected(client, Rejection{stage, code, status, text, has_mail ? std::string_view(env.sender) : "",
                                          refused_rcpt});
    }
    void bad(std::string& out, uint16_t code, std::string_view status, std::string_view text,
             std::string_view detail = {}) {
        bad(out, code, status, {text, detail});
    }
    void bad(std::string& out, const Reply& r) { bad(out, r.code, r.status, r.text, r.detail); }

    // After a junk command (NOOP, RSET, VRFY, HELP; Postfix's
    // SMTPD_CMD_FLAG_LIMIT) has been answered: beyond junk_command_limit
    // each one is an error, so "NOOP" forever cannot hold a connection.
    void junk(std::string& out) {
        ++junk_commands;
        if (config.limits.junk_command_limit != 0 && junk_commands > config.limits.junk_command_limit)
            count_error(out);
    }

    // Called once a complete command line is ready: true, once per line,
    // when its reply must wait error_delay (Postfix sleeps before every
    // reply once error_count >= smtpd_soft_error_limit).
    bool hold_reply() {
        const Limits& l = config.limits;
        if (delay_served || l.soft_error_limit == 0 || l.error_delay.count() <= 0 || error_count < l.soft_error_limit) {
            delay_served = false;
            return false;
        }
        delay_served = true;
        ++stats.delays;
        return true;
    }

    void reset_transaction() {
        has_mail = false;
        message_started = false;
        used_bdat = false;
        rcpt_commands = 0;
        declared_size = 0;
        // clear() keeps capacity for the next transaction (RSET case); after
        // take_message() the members are moved-from and cleared anyway.
        env.queue_id.clear();
        env.sender.clear();
        env.recipients.clear();
        env.envid.clear();
        env.ret = mail::DsnRet::kUnset;
        env.body_type = mail::BodyType::k7Bit;
        env.smtputf8 = false;
        env.helo.clear();
        env.client_ip.clear();
        env.protocol.clear();
        env.received_at = 0;
        env.next_attempt = 0;
        env.body_size = 0;
        // The message buffer can be megabytes: give it back while idle.
        std::string().swap(data);
        bdat_total = 0;
        bdat_overflow = false;
    }

    // AUTH is offered in EHLO and accepted (RFC 4954 4: 538 when the
    // connection must be encrypted first).
    bool auth_offered() const { return config.auth_available && (client.tls || config.allow_plaintext_auth); }

    // A whole line in command mode: the client's SASL response while
    // auth_step != kNone, else a command.
    void input_line(std::string_view line, std::string& out);
    void command(std::string_view line, std::string& out);
    void cmd_starttls(const Command& c, std::string& out);
    void cmd_auth(const Command& c, std::string& out);
    // A line while auth_step != kNone: the client's SASL response.
    void auth_response(std::string_view line, std::string& out);
    // Checks decoded PLAIN credentials; on success they go to the driver.
    void auth_plain(std::string_view decoded, std::string& out);
    void auth_refused(std::string& out);
    // Submission: Date and Message-ID below our Received: when missing.
    void add_missing_headers();
    void cmd_ehlo(const Command& c, std::string& out, bool extended);
    void cmd_mail(const Command& c, std::string& out);
    void cmd_rcpt(const Command& c, std::string& out);
    void cmd_data(const Command& c, std::string& out);
    void cmd_bdat(const Command& c, std::string& out);
    // Checks that a transaction can take message data; fills the refusal.
    bool ready_for_data(Reply& refusal) const;
    void start_message();
    bool finish_data(std::string& out);
    bool finish_bdat(std::string& out);
    // Takes what `in` holds of the current BDAT chunk; returns its length.
    size_t bdat_bytes(std::string_view in);
};

void Session::Impl::input_line(std::string_view line, std::string& out) {
    refused_rcpt = {};   // it viewed the previous line
    if (auth_step != AuthStep::kNone) {
        ++stats.commands;
        auth_response(line, out);
    } else {
        command(line, out);
    }
}

void Session::Impl::command(std::string_view line, std::string& out) {
    ++stats.commands;
    Command c = parse_command(line);
    counters.commands[static_cast<size_t>(c.verb)].inc();
    stage = verb_name(c.verb);
    switch (c.verb) {
    case Verb::kForbidden:
        // Not an SMTP client (an HTTP request, or headers sent as commands):
        // answering would only help cross-protocol attacks. Hang up.
        append_reply(out, 421, "4.7.0", {config.hostname, " Error: I can break rules, too. Goodbye."});
        log::info("smtp_forbidden_command", {{"client", client.ip}, {"verb", c.name}});
        mode = Mode::kClosed;
        return;
    case Verb::kEmpty:
        return bad(out, 500, "5.5.2", "Error: bad syntax");
    case Verb::kUnknown:
        return bad(out, 500, "5.5.2", "Error: command not recognized");
    case Verb::kEhlo:
        return cmd_ehlo(c, out, true);
    case Verb::kHelo:
        return cmd_ehlo(c, out, false);
    case Verb::kMail:
        return cmd_mail(c, out);
    case Verb::kRcpt:
        return cmd_rcpt(c, out);
    case Verb::kData:
        return cmd_data(c, out);
    case Verb::kBdat:
        return cmd_bdat(c, out);
    case Verb::kRset:
        if (!c.arg.empty()) {
            bad(out, 501, "5.5.4", "Syntax: RSET");
        } else {
            reset_transaction();
            append_reply(out, 250, "2.0.0", "Ok");
        }
        return junk(out);
    case Verb::kNoop:
        // RFC 5321 4.1.1.9: NOOP may carry a string, which is ignored.
        append_reply(out, 250, "2.0.0", "Ok");
        return junk(out);
    case Verb::kQuit:
        if (!c.arg.empty()) return bad(out, 501, "5.5.4", "Syntax: QUIT");
        append_reply(out, 221, "2.0.0", "Bye");
        mode = Mode::kClosed;
        return;
    case Verb::kVrfy:
        if (c.arg.empty()) {
            bad(out, 501, "5.5.4", "Syntax: VRFY address");
        } else {
            // RFC 5321 3.5.3: 252 when we will not verify (address harvesting).
            append_reply(out, 252, "2.1.5", "Cannot VRFY user, but will accept message and attempt delivery");
        }
        return junk(out);
    case Verb::kHelp:
        append_reply(out, 214, "2.0.0", "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP");
        return junk(out);
    case Verb::kStarttls:
        return cmd_starttls(c, out);
    case Verb::kAuth:
        return cmd_auth(c, out);
    }
}

void Session::Impl::cmd_starttls(const Command& c, std::string& out) {
    if (!config.advertise_starttls) return bad(out, 502, "5.5.1", "Error: command not implemented");
    if (client.tls) return bad(out, 554, "5.5.1", "Error: TLS already active");
    if (!c.arg.empty()) return bad(out, 501, "5.5.4", "Syntax: STARTTLS");
    if (has_mail) return bad(out, 503, "5.5.1", "Error: MAIL transaction in progress");
    append_reply(out, 220, "2.0.0", "Ready to start TLS");
    // feed() stops right after this line: whatever the client pipelined
    // behind it came in clear and is the driver's to discard.
    mode = Mode::kStartTls;
}

void Session::Impl::cmd_auth(const Command& c, std::string& out) {
    if (!config.auth_available) return bad(out, 503, "5.5.1", "Error: authentication not enabled");
    if (greeting != Greeting::kEhlo) return bad(out, 503, "5.5.1", "Error: send EHLO first");
    if (!auth_offered()) {
        return bad(out, 538, "5.7.11", "Encryption required for requested authentication mechanism");
    }
    if (client.authenticated) return bad(out, 503, "5.5.1", "Error: already authenticated");
    if (has_mail) return bad(out, 503, "5.5.1", "Error: MAIL transaction in progress");
    std::string_view mech = c.arg;
    std::string_view initial;
    bool has_initial = false;
    if (size_t sp = mech.find(' '); sp != std::string_view::npos) {
        initial = mech.substr(sp + 1);
        mech = mech.substr(0, sp);
        while (!initial.empty() && initial.front() == ' ') initial.remove_prefix(1);
        has_initial = true;
    }
    if (mech.empty()) return bad(out, 501, "5.5.4", "Syntax: AUTH mechanism");
    const bool plain = iequals(mech, "PLAIN");
    if (!plain && !iequals(mech, "LOGIN")) {
        return bad(out, 504, "5.5.4", "Error: unsupported authentication mechanism");
    }
    std::string decoded;
    // RFC 4954 4: "=" is an empty initial response.
    if (has_initial && initial != "=" && !base64::decode(initial, decoded)) {
        return bad(out, 501, "5.5.2", "Error: cannot decode response");
    }
    if (plain) {
        if (has_initial) return auth_plain(decoded, out);
        auth_step = AuthStep::kPlain;
        return append_reply(out, 334, {}, "");
    }
    if (has_initial) {
        auth.user = std::move(decoded);
        auth_step = AuthStep::kLoginPassword;
        return append_reply(out, 334, {}, kLoginPasswordPrompt);
    }
    auth_step = AuthStep::kLoginUser;
    append_reply(out, 334, {}, kLoginUserPrompt);
}

void Session::Impl::auth_response(std::string_view line, std::string& out) {
    const AuthStep step = auth_step;
    auth_step = AuthStep::kNone;
    if (line == "*") {
        auth.user.clear();
        return bad(out, 501, "5.7.0", "Error: authentication aborted");
    }
    std::string decoded;
    if (!base64::decode(line, decoded)) {
        auth.user.clear();
        return bad(out, 501, "5.5.2", "Error: cannot decode response");
    }
    switch (step) {
    case AuthStep::kPlain:
        return auth_plain(decoded, out);
    case AuthStep::kLoginUser:
        auth.user = std::move(decoded);
        auth_step = AuthStep::kLoginPassword;
        return append_reply(out, 334, {}, kLoginPasswordPrompt);
    case AuthStep::kLoginPassword:
        auth.password = std::move(decoded);
        if (auth.user.empty()) return auth_refused(out);
        mode = Mode::kAuthCheck;
        return;
    case AuthStep::kNone:
        return;
    }
}

void Session::Impl::auth_plain(std::string_view decoded, std::string& out) {
    auto parts = sasl::split_plain(decoded);
    if (!parts || parts->password.find('\0') != std::string_view::npos) {
        return bad(out, 501, "5.5.2", "Error: invalid PLAIN response");
    }
    // Acting as another user (an authorization identity) is not supported.
    if (parts->authcid.empty() || (!parts->authzid.empty() && !iequals(parts->authzid, parts->authcid)))
        return auth_refused(out);
    auth.user.assign(parts->authcid);
    auth.password.assign(parts->password);
    mode = Mode::kAuthCheck;
}

void Session::Impl::auth_refused(std::string& out) {
    auth = AuthRequest{};
    ++auth_failures;
    counters.auth_failures.inc();
    bad(out, 535, "5.7.8", "Error: authentication failed");
    if (mode != Mode::kClosed && config.max_auth_failures != 0 && auth_failures >= config.max_auth_failures) {
        append_reply(out, 421, "4.7.0", {config.hostname, " Error: too many authentication failures"});
        log::info("smtp_too_many_auth_failures", {{"client", client.ip}, {"failures", auth_failures}});
        mode = Mode::kClosed;
    }
}

void Session::Impl::cmd_ehlo(const Command& c, std::string& out, bool extended) {
    if (c.arg.empty()) return bad(out, 501, "5.5.4", extended ? "Syntax: EHLO hostname" : "Syntax: HELO hostname");
    // The name goes into the Received: header verbatim; a control byte
    // (a bare CR survives line splitting) could forge header structure.
    for (char ch : c.arg)
        if (uint8_t(ch) < 0x20 || uint8_t(ch) == 0x7f)
            return bad(out, 501, "5.5.4", extended ? "Syntax: EHLO hostname" : "Syntax: HELO hostname");
    // RFC 5321 4.1.4: EHLO/HELO in a transaction acts like RSET.
    reset_transaction();
    helo.assign(c.arg);
    if (!extended) {
        greeting = Greeting::kHelo;
        ext = Extensions{};
        return append_reply(out, 250, {}, config.hostname);
    }
    greeting = Greeting::kEhlo;
    ext.esmtp = true;
    ext.chunking = config.advertise_chunking;
    ext.smtputf8 = config.advertise_smtputf8;
    ext.dsn = config.advertise_dsn;
    MultilineReply r(out, 250);
    r.add(config.hostname);
    r.add("PIPELINING");
    r.add({"SIZE ", Decimal(config.limits.max_message_size)});
    r.add("8BITMIME");
    r.add("ENHANCEDSTATUSCODES");
    if (ext.chunking) {
        r.add("CHUNKING");
        r.add("BINARYMIME");   // RFC 3030 3: only meaningful with CHUNKING
    }
    if (ext.smtputf8) r.add("SMTPUTF8");
    if (ext.dsn) r.add("DSN");
    if (config.advertise_starttls && !client.tls) r.add("STARTTLS");
    if (auth_offered()) r.add("AUTH PLAIN LOGIN");
    r.finish();
}

void Session::Impl::cmd_mail(const Command& c, std::string& out) {
    if (greeting == Greeting::kNone) return bad(out, 503, "5.5.1", "Error: send HELO/EHLO first");
    if (has_mail) return bad(out, 503, "5.5.1", "Error: nested MAIL command");
    if (config.submission && !client.authenticated) return bad(out, 530, "5.7.0", "Authentication required");
    if (config.limits.max_messages_per_session != 0 && stats.messages >= config.limits.max_messages_per_session) {
        // A 4xx on MAIL would just be retried on this connection; closing
        // makes the client reconnect (and spreads load across workers).
        append_reply(out, 421, "4.7.0", {config.hostname, " Error: too many messages in this session"});
        mode = Mode::kClosed;
        return;
    }
    if (auto refusal = policy.check_mail(client)) return bad(out, refusal->code, refusal->enhanced, refusal->text);
    MailFrom m;
    Reply r = parse_mail_from(c.arg, ext, m);
    if (!r.ok()) return bad(out, r);
    if (m.size_given && m.size > size_limit()) {
        // RFC 1870 6.1: refuse now rather than after the client sent it all.
        counters.reject(MessageReject::kSize);
        return bad(out, 552, "5.3.4", "Error: message size exceeds fixed limit");
    }
    // Postfix's queue_minfree check (smtpd_check_size): temporary, so the
    // client retries later instead of sending data we could not keep.
    if (!policy.storage_available(m.size_given ? m.size : 0)) {
        counters.reject(MessageReject::kStorage);
        return bad(out, 452, "4.3.1", "Insufficient system storage");
    }
    // RFC 6409 6.1: the sender must be the user's own address. The null
    // sender (a bounce or receipt from the client) impersonates nobody.
    if (config.submission && config.require_sender_match && !m.address.empty() &&
        !iequals(m.address, client.auth_user)) {
        return bad(out, 553, "5.7.1",
                   "Error: sender address rejected: not owned by the authenticated user");
    }
    env.sender.assign(m.address);
    env.body_type = m.body;
    env.smtputf8 = m.smtputf8;
    env.ret = m.ret;
    env.envid.clear();
    if (!m.envid.empty()) decode_xtext(m.envid, env.envid);   // validated by the parser
    declared_size = m.size_given ? m.size : 0;
    has_mail = true;
    append_reply(out, 250, "2.1.0", "Ok");
}

void Session::Impl::cmd_rcpt(const Command& c, std::string& out) {
    if (!has_mail) return bad(out, 503, "5.5.1", "Error: need MAIL command");
    // After a BDAT chunk the recipient list is closed (RFC 3030 2).
    if (message_started) return bad(out, 503, "5.5.1", "Error: RCPT after BDAT");
    ++rcpt_commands;
    RcptTo rc;
    Reply r = parse_rcpt_to(c.arg, ext, env.smtputf8, rc);
    if (!r.ok()) return bad(out, r);
    if (config.limits.max_recipients != 0 && env.recipients.size() >= config.limits.max_recipients) {
        // RFC 5321 4.5.3.1.10: 452, the client sends the rest in another transaction.
        counters.reject(RcptReject::kTooMany);
        return append_reply(out, 452, "4.5.3", "Error: too many recipients");
    }
    RcptVerdict v = policy.check_recipient(rc.address, client);
    refused_rcpt = rc.address;   // for a rejection's event; set again by the next command
    switch (v) {
    case RcptVerdict::kAcceptLocal:
    case RcptVerdict::kAcceptRelay: {
        if (auto refusal = policy.check_accepted_recipient(env.sender, rc.address, client)) {
            counters.reject(RcptReject::kPolicy);
            return bad(out, refusal->code, refusal->enhanced,
                       {"<", rc.address, ">: Recipient address rejected: ", refusal->text});
        }
        mail::Recipient& rec = env.recipients.emplace_back();
        rec.address.assign(rc.address);
        rec.notify = rc.notify;
        if (!rc.orcpt.empty()) decode_orcpt(rc.orcpt, rec.orcpt);   // validated by the parser
        rec.local = v == RcptVerdict::kAcceptLocal;
        ++stats.recipients;
        return append_reply(out, 250, "2.1.5", "Ok");
    }
    // A refused recipient is an error like any other (Postfix): without
    // that, a harvester could try addresses forever at full speed.
    case RcptVerdict::kUnknownUser:
        counters.reject(RcptReject::kUnknownUser);
        return bad(out, 550, "5.1.1", {"<", rc.address, ">: Recipient address rejected: User unknown"});
    case RcptVerdict::kRelayDenied:
        counters.reject(RcptReject::kRelayDenied);
        return bad(out, 554, "5.7.1", {"<", rc.address, ">: Relay access denied"});
    case RcptVerdict::kTempFail:
        counters.reject(RcptReject::kTempFail);
        return bad(out, 451, "4.3.0", {"<", rc.address, ">: Temporary lookup failure"});
    }
}

bool Session::Impl::ready_for_data(Reply& refusal) const {
    if (!has_mail) {
        refusal = Reply{503, "5.5.1", "Error: need MAIL command", {}};
        return false;
    }
    if (env.recipients.empty()) {
        refusal = rcpt_commands == 0 ? Reply{503, "5.5.1", "Error: need RCPT command", {}}
                                     : Reply{554, "5.5.1", "Error: no valid recipients", {}};
        if (rcpt_commands != 0) counters.reject(MessageReject::kNoRecipients);
        return false;
    }
    return true;
}

void Session::Impl::start_message() {
    message_started = true;
    std::string id = policy.new_queue_id();
    qid_len = std::min(id.size(), qid.size());
    std::memcpy(qid.data(), id.data(), qid_len);
    env.queue_id = std::move(id);
    env.received_at = policy.now();
    env.helo = helo;
    env.client_ip = client.ip;
    env.protocol = !client.protocol.empty()
                       ? client.protocol
                       : std::string(protocol_name(greeting == Greeting::kEhlo, env.smtputf8, client.tls, client.authenticated));
    // Allocated only now, sized by the client's SIZE hint when it gave one,
    // so idle sessions and small messages stay cheap.
    uint64_t hint = declared_size != 0 ? std::min(declared_size, size_limit()) : kInitialMessageBuffer;
    data.reserve(size_t(std::min<uint64_t>(hint, kMaxPreallocation)) + 512);   // + Received:
    append_received(data, ReceivedFields{
                              .helo = helo,
                              .client_ip = client.ip,
                              .hostname = config.hostname,
                              .protocol = env.protocol,
                              .tls_version = client.tls_version,
                              .tls_cipher = client.tls_cipher,
                              .tls_cipher_bits = client.tls_cipher_bits,
                              .queue_id = env.queue_id,
                              .for_recipient = env.recipients.size() == 1 ? std::string_view(env.recipients[0].address)
                                                                           : std::string_view(),
                              .time = env.received_at,
                          });
    received_len = data.size();
}

void Session::Impl::add_missing_headers() {
    bool has_date = false;
    bool has_message_id = false;
    size_t pos = received_len;
    while (pos < data.size()) {
        size_t nl = data.find('\n', pos);
        size_t end = nl == std::string::npos ? data.size() : nl;
        std::string_view line(data.data() + pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break;   // end of the header section
        if (line.front() != ' ' && line.front() != '\t') {
            size_t colon = line.find(':');
            if (colon == std::string_view::npos) break;   // the body began without a blank line
            std::string_view name = line.substr(0, colon);
            while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
            if (iequals(name, "Date")) has_date = true;
            else if (iequals(name, "Message-ID")) has_message_id = true;
        }
        if (nl == std::string::npos) break;
        pos = nl + 1;
    }
    if (has_date && has_message_id) return;
    // Like Postfix's always_add_missing_headers, but placed right below our
    // Received: (the header order carries no meaning for these two).
    std::string add;
    if (!has_date) {
        add.append("Date: ");
        append_rfc5322_date(add, env.received_at);
        add.append("\r\n");
    }
    if (!has_message_id) {
        add.append("Message-ID: <");
        add.append(std::to_string(env.received_at));
        add.push_back('.');
        add.append(env.queue_id);
        add.push_back('@');
        add.append(config.hostname);
        add.append(">\r\n");
    }
    data.insert(received_len, add);
}

void Session::Impl::cmd_data(const Command& c, std::string& out) {
    if (!c.arg.empty()) return bad(out, 501, "5.5.4", "Syntax: DATA");
    Reply refusal;
    if (!ready_for_data(refusal)) return bad(out, refusal);
    if (used_bdat) return bad(out, 503, "5.5.1", "Error: DATA after BDAT");
    // RFC 3030 3: binary content cannot survive dot-stuffed DATA.
    if (env.body_type == mail::BodyType::kBinaryMime)
        return bad(out, 503, "5.5.1", "Error: BODY=BINARYMIME requires BDAT");
    start_message();
    dot.reset(size_limit());
    mode = Mode::kData;
    append_reply(out, 354, {}, "End data with <CR><LF>.<CR><LF>");
}

void Session::Impl::cmd_bdat(const Command& c, std::string& out) {
    uint64_t size = 0;
    bool last = false;
    if (!parse_bdat_args(c.arg, size, last)) {
        // Without a size the chunk cannot be skipped; its bytes will be read
        // as commands and fail, counting towards hard_error_limit.
        return bad(out, 501, "5.5.4", "Syntax: BDAT count [LAST]");
    }
    // Whatever the verdict, exactly `size` bytes follow and must be consumed
    // before the next command (RFC 3030 2), or we would lose sync.
    mode = Mode::kBdat;
    bdat_remaining = size;
    bdat_chunk = size;
    bdat_last = last;
    bdat_store = false;
    if (!ext.chunking) {
        bdat_refusal = Reply{502, "5.5.1", "Error: command not implemented", {}};
    } else if (ready_for_data(bdat_refusal)) {
        if (!message_started) {
            start_message();
            used_bdat = true;
        }
        bdat_store = true;
    }
}

bool Session::Impl::finish_data(std::string& out) {
    mode = Mode::kCommand;
    if (dot.overflowed()) {
        counters.reject(MessageReject::kSize);
        bad(out, 552, "5.3.4", "Error: message size exceeds fixed limit");
        reset_transaction();
        return false;
    }
    if (config.limits.max_data_line != 0 && dot.longest_line() > config.limits.max_data_line) {
        counters.reject(MessageReject::kLineTooLong);
        bad(out, 552, "5.3.4", "Error: message line too long");
        reset_transaction();
        return false;
    }
    if (config.submission) add_missing_headers();
    env.body_size = data.size();
    mode = Mode::kCommit;
    return true;
}

size_t Session::Impl::bdat_bytes(std::string_view in) {
    size_t take = size_t(std::min<uint64_t>(bdat_remaining, in.size()));
    if (bdat_store && take != 0) {
        bdat_total += take;
        if (bdat_total > size_limit()) bdat_overflow = true;
        // Over the limit the bytes are only counted: memory stays bounded.
        if (!bdat_overflow) data.append(in.data(), take);
    }
    bdat_remaining -= take;
    return take;
}

bool Session::Impl::finish_bdat(std::string& out) {
    mode = Mode::kCommand;
    if (!bdat_store) {
        bad(out, bdat_refusal);
        return false;
    }
    if (bdat_overflow) {
        // RFC 3030 2: after an error the client sends no more chunks; any it
        // already pipelined get 503 because the transaction is gone.
        counters.reject(MessageReject::kSize);
        bad(out, 552, "5.3.4", "Error: message size exceeds fixed limit");
        reset_transaction();
        return false;
    }
    if (!bdat_last) {
        append_reply(out, 250, "2.0.0", {Decimal(bdat_chunk), " octets received"});
        return false;
    }
    // Lines end in CRLF as after DATA (line_endings.hpp); counted against
    // the size limit as DATA counts them.
    if (env.body_type != mail::BodyType::kBinaryMime && bdat_total + crlf_bare_lf(data) > size_limit()) {
        counters.reject(MessageReject::kSize);
        bad(out, 552, "5.3.4", "Error: message size exceeds fixed limit");
        reset_transaction();
        return false;
    }
    if (config.submission) add_missing_headers();
    env.body_size = data.size();
    mode = Mode::kCommit;
    return true;
}

Session::Session(SessionConfig config, Policy& policy, ClientInfo client)
    : impl_(new Impl(std::move(config), policy, std::move(client))) {}

Session::~Session() { delete impl_; }

void Session::greet(std::string& out) {
    append_reply(out, 220, {}, {impl_->config.hostname, " ESMTP ringpost"});
}

Event Session::feed(std::string_view input, size_t& consumed, std::string& out) {
    Impl& s = *impl_;
    const size_t n = input.size();
    size_t pos = 0;
    for (;;) {
        switch (s.mode) {
        case Mode::kClosed:
            // Nothing more is read after 221/421; swallow what arrived.
            consumed = pos == 0 ? n : pos;
            return Event::kClose;

        case Mode::kCommit:
            consumed = pos;
            return Event::kCommit;

        case Mode::kAuthCheck:
            consumed = pos;
            return Event::kAuth;

        case Mode::kStartTls:
            // Stops right after the STARTTLS line: the rest is not ours.
            consumed = pos;
            return Event::kStartTls;

        case Mode::kData: {
            DotDecoder::Result r = s.dot.feed(input.substr(pos), s.data);
            pos += r.consumed;
            if (!r.done) {
                consumed = pos;
                return Event::kNeedInput;
            }
            s.finish_data(out);
            continue;   // kCommit returns above; an error reply goes on with the next command
        }

        case Mode::kBdat: {
            pos += s.bdat_bytes(input.substr(pos));
            if (s.bdat_remaining != 0) {
                consumed = pos;
                return Event::kNeedInput;
            }
            s.finish_bdat(out);
            continue;
        }

        case Mode::kCommand: {
            // The framer skips an overlong line as it arrives (the caller
            // never needs room for more than max_command_line bytes) and
            // reports it once, at its end.
            const proto::LineFramer::Frame f = s.framer.peek(input, pos, s.config.limits.max_command_line);
            if (f.kind == proto::LineFramer::Kind::kNeedInput) {
                consumed = s.framer.take(f);
                return Event::kNeedInput;
            }
            if (s.hold_reply()) {
                consumed = pos;
                return Event::kDelay;
            }
            pos = s.framer.take(f);
            if (f.kind == proto::LineFramer::Kind::kOverlong) {
                ++s.stats.commands;
                s.auth_step = AuthStep::kNone;   // an overlong SASL response ends the exchange
                s.bad(out, 500, "5.5.2", "Error: line too long");
                continue;
            }
            s.input_line(f.line, out);
            if (s.mode == Mode::kClosed) {
                consumed = pos;
                return Event::kClose;
            }
            continue;
        }
        }
    }
}

AcceptedMessage Session::take_message() {
    Impl& s = *impl_;
    AcceptedMessage m;
    m.envelope = std::move(s.env);
    m.data = std::move(s.data);
    m.envelope.body_size = m.data.size();
    s.committing_bytes = m.data.size();
    m.origin.authenticated = s.client.authenticated;
    m.origin.auth_user = s.client.auth_user;
    m.origin.relay_allowed = s.client.relay_allowed;
    m.origin.submission = s.config.submission;
    m.origin.client_port = s.client.port;
    if (s.client.tls) {
        m.origin.tls_version = s.client.tls_version;
        m.origin.tls_cipher = s.client.tls_cipher;
        m.origin.tls_cipher_bits = s.client.tls_cipher_bits;
    }
    return m;
}

void Session::committed(const Result<void>& result, std::string& out) {
    Impl& s = *impl_;
    bool closing = false;
    if (result.ok()) {
        append_reply(out, 250, "2.0.0", {"Ok: queued as ", std::string_view(s.qid.data(), s.qid_len)});
        ++s.stats.messages;
        s.counters.messages_accepted.inc();
        s.counters.bytes_accepted.inc(s.committing_bytes);
        // Postfix forgives earlier errors and junk once a message got
        // through: a bulk sender's RSETs and dead addresses never add up.
        s.error_count = 0;
        s.junk_commands = 0;
    } else if (result.error().code == Condition::kShuttingDown) {
        // The spool takes nothing more: say so and end, as Postfix does.
        s.counters.reject(MessageReject::kShuttingDown);
        append_reply(out, 421, "4.3.2", {s.config.hostname, " Service shutting down"});
        closing = true;
    } else {
        // Overload (Condition::kOverloaded) or a write error: try again later.
        s.counters.reject(MessageReject::kStoreError);
        s.bad(out, 451, "4.3.0", "Error: queue file write error");
    }
    s.reset_transaction();
    if (s.mode == Mode::kCommit) s.mode = Mode::kCommand;
    if (closing) s.mode = Mode::kClosed;
}

void Session::refused(uint16_t code, std::string_view enhanced, std::string_view text, std::string& out) {
    Impl& s = *impl_;
    s.counters.reject(MessageReject::kFilter);
    s.bad(out, code, enhanced, text);
    s.reset_transaction();
    if (s.mode == Mode::kCommit) s.mode = Mode::kCommand;
}

AuthRequest Session::take_auth() {
    AuthRequest r = std::move(impl_->auth);
    impl_->auth = AuthRequest{};
    return r;
}

void Session::auth_done(auth::Status status, std::string_view user, std::string& out) {
    Impl& s = *impl_;
    if (s.mode == Mode::kAuthCheck) s.mode = Mode::kCommand;
    switch (status) {
    case auth::Status::kOk:
        s.client.authenticated = true;
        s.client.auth_user.assign(user);
        append_reply(out, 235, "2.7.0", "Authentication successful");
        return;
    case auth::Status::kTempFail:
        s.bad(out, 454, "4.7.0", "Temporary authentication failure");
        return;
    case auth::Status::kBadCredentials:
        s.auth_refused(out);
        return;
    }
}

void Session::tls_started(std::string version, std::string cipher, int cipher_bits) {
    Impl& s = *impl_;
    // RFC 3207 4.2: forget everything the client said in clear.
    s.reset_transaction();
    s.greeting = Greeting::kNone;
    s.ext = Extensions{};
    s.helo.clear();
    s.auth_step = AuthStep::kNone;
    s.auth = AuthRequest{};
    s.client.authenticated = false;
    s.client.auth_user.clear();
    s.client.tls = true;
    s.client.tls_version = std::move(version);
    s.client.tls_cipher = std::move(cipher);
    s.client.tls_cipher_bits = cipher_bits;
    if (s.mode == Mode::kStartTls) s.mode = Mode::kCommand;
}

void Session::timeout(std::string& out) {
    append_reply(out, 421, "4.4.2", {impl_->config.hostname, " Error: timeout exceeded"});
    impl_->mode = Mode::kClosed;
}

void Session::shutdown(std::string& out) {
    if (impl_->mode == Mode::kClosed) return;   // already said 221 or 421 (e.g. committed())
    append_reply(out, 421, "4.3.2", {impl_->config.hostname, " Service shutting down"});
    impl_->mode = Mode::kClosed;
}

std::chrono::milliseconds Session::reply_delay() const { return impl_->config.limits.error_delay; }

bool Session::too_many_errors() const { return impl_->error_hangup; }

bool Session::in_transaction() const { return impl_->has_mail; }

bool Session::in_data() const { return impl_->mode == Mode::kData || impl_->mode == Mode::kBdat; }

uint64_t Session::message_bytes() const { return impl_->data.size(); }

const Session::Stats& Session::stats() const { return impl_->stats; }

}  // namespace ringpost::smtp
