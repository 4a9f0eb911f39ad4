// The POP3 server state machine (see session.hpp): the command table of
// RFC 1939 by state, CAPA, AUTH PLAIN, the limits, and the streaming of
// multi-line responses.
//
// Input handling follows smtp::Session: command lines are found by
// proto::LineFramer in place in the caller's buffer (an incomplete line is
// left unconsumed, so the session buffers no input); an overlong line is
// answered and skipped, so the session stays in step with a pipelining
// client.
#include "pop3/session.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <initializer_list>

#include "mail/dot_stuffer.hpp"
#include "pop3/command.hpp"
#include "pop3/pop3_metrics.hpp"
#include "pop3/sasl.hpp"
#include "proto/line_framer.hpp"
#include "util/log.hpp"

namespace ringpost::pop3 {

namespace {

// Shortest limits honoured: below these no command or PLAIN response fits.
constexpr uint32_t kMinCommandLine = 255 + 2;   // RFC 2449 4
constexpr uint32_t kMinAuthLine = 512;
constexpr size_t kMinOutputChunk = 1024;

enum class Mode : uint8_t {
    kCommand,         // reading command lines (and skipping overlong ones)
    kAuthResponse,    // "+ " sent: the next line is the SASL response
    kWaitAuth,        // kAuthenticate handed out, waiting for auth_done()
    kWaitOpen,        // kOpenMaildrop, waiting for maildrop_opened()
    kWaitFetch,       // kFetch, waiting for fetched()
    kWaitUpdate,      // kUpdate, waiting for updated()
    kWaitTls,         // kStartTls, waiting for tls_started()
    kStreamMessage,   // RETR/TOP response in progress
    kStreamList,      // LIST/UIDL response in progress
    kClosed,          // nothing more is read
};

enum class State : uint8_t { kAuthorization, kTransaction, kUpdate };

void append(std::string& out, std::initializer_list<std::string_view> parts) {
    for (std::string_view p : parts) out.append(p);
}

void append_number(std::string& out, uint64_t n) {
    char buf[20];
    auto r = std::to_chars(buf, buf + sizeof buf, n);
    out.append(buf, size_t(r.ptr - buf));
}

void ok(std::string& out, std::string_view text) { append(out, {"+OK ", text, "\r\n"}); }
void err(std::string& out, std::string_view text) { append(out, {"-ERR ", text, "\r\n"}); }

constexpr std::string_view kBadCredentials = "[AUTH] bad credentials";
constexpr std::string_view kWrongState = "command not valid in this state";
constexpr std::string_view kNoSuchMessage = "no such message";
constexpr std::string_view kNeedsTls = "[AUTH] plain-text authentication requires TLS";

}  // namespace

struct Session::Impl {
    Impl(const SessionConfig& c, ClientInfo ci) : config(c), client(std::move(ci)) {
        Limits& l = config.limits;
        l.max_command_line = std::max(l.max_command_line, kMinCommandLine);
        l.max_auth_line = std::max({l.max_auth_line, kMinAuthLine, l.max_command_line});
        l.output_chunk = std::max(l.output_chunk, kMinOutputChunk);
    }

    // A copy: the session must not depend on the lifetime of the
    // configuration object it was created from.
    SessionConfig config;
    ClientInfo client;
    Stats stats;

    Mode mode = Mode::kCommand;
    proto::LineFramer framer;   // command lines and SASL responses, in place in the caller's buffer
    State state = State::kAuthorization;

    // AUTHORIZATION: the name given by USER (PASS must follow at once,
    // RFC 1939 7), then the canonical name from the backend.
    std::string user;
    bool user_given = false;
    std::string password;

    // TRANSACTION: the maildrop as opened, and what DELE marked.
    std::vector<MaildropEntry> entries;
    std::vector<bool> deleted;
    size_t live_count = 0;
    uint64_t live_size = 0;

    // RETR / TOP in progress.
    size_t fetch_index = 0;
    bool fetch_top = false;
    uint64_t top_lines = 0;
    std::string message;
    size_t message_pos = 0;
    mail::DotStuffer stuffer;

    // LIST / UIDL without argument in progress.
    bool list_uids = false;
    size_t list_pos = 0;

    // A reply that counts against max_bad_commands; at the limit the
    // session says so and hangs up (Postfix's hard error limit), so a
    // confused or hostile client cannot keep the connection busy.
    void bad(std::string& out, std::string_view text) {
        err(out, text);
        ++stats.bad_commands;
        if (config.limits.max_bad_commands != 0 && stats.bad_commands >= config.limits.max_bad_commands) {
            err(out, "too many errors, closing connection");
            log::info("pop3_too_many_errors", {{"client", client.ip}, {"errors", stats.bad_commands}});
            mode = Mode::kClosed;
        }
    }

    // A failed login (bad credentials, or a malformed SASL exchange):
    // counted, and at max_auth_failures the connection closes after the reply.
    void auth_failed(std::string& out, std::string_view text) {
        pop3_metrics().auth_failures.inc();
        err(out, text);
        user.clear();
        password.clear();
        mode = Mode::kCommand;
        ++stats.auth_failures;
        if (config.limits.max_auth_failures != 0 && stats.auth_failures >= config.limits.max_auth_failures) {
            log::info("pop3_too_many_auth_failures", {{"client", client.ip}, {"failures", stats.auth_failures}});
            mode = Mode::kClosed;
        }
    }

    void maildrop_summary(std::string& out) {
        out += "+OK maildrop has ";
        append_number(out, live_count);
        out += " messages (";
        append_number(out, live_size);
        out += " octets)\r\n";
    }

    void signing_off(std::string& out) {
        out += "+OK ringpost POP3 server signing off";
        if (state != State::kAuthorization) {
            out += " (";
            append_number(out, live_count);
            out += live_count == 0 ? " messages left, maildrop empty)" : " messages left)";
        }
        out += "\r\n";
    }

    // Passwords may cross this connection (loopback, or TLS is on).
    bool passwords_allowed() const { return config.plaintext_allowed || client.tls; }

    void command(std::string_view line, std::string& out);
    void cmd_capa(const Command& c, std::string& out);
    void cmd_auth(const Command& c, std::string& out);
    void plain_response(std::string_view response, std::string& out);
    void cmd_quit(const Command& c, std::string& out);
    void transaction_command(const Command& c, std::string& out);
    void cmd_stat(const Command& c, std::string& out);
    void cmd_list(const Command& c, std::string& out);   // LIST and UIDL
    void cmd_top(const Command& c, std::string& out);
    void cmd_dele(const Command& c, std::string& out);
    void cmd_rset(const Command& c, std::string& out);
    // Parses a message number; answers and returns false when it names no
    // live message.
    bool message_number(std::string_view arg, std::string_view syntax, size_t& index, std::string& out);
    void list_one(size_t index, std::string& out);

    // Write the next chunk of a multi-line response; true when it is complete.
    bool stream_message(std::string& out);
    bool stream_list(std::string& out);
};

void Session::Impl::command(std::string_view line, std::string& out) {
    ++stats.commands;
    Command c = parse_command(line);
    pop3_metrics().command(c.verb);
    // PASS is valid only right after a successful USER.
    const bool after_user = user_given;
    user_given = false;

    switch (c.verb) {
    case Verb::kForbidden:
        // Not a POP3 client (an HTTP request or headers sent as commands):
        // answering would only help cross-protocol attacks. Hang up.
        log::info("pop3_forbidden_command", {{"client", client.ip}, {"verb", c.name}});
        mode = Mode::kClosed;
        return;
    case Verb::kEmpty:
        return bad(out, "empty command");
    case Verb::kUnknown:
        return bad(out, "unknown command");
    case Verb::kCapa:
        return cmd_capa(c, out);
    case Verb::kQuit:
        return cmd_quit(c, out);
    case Verb::kApop:
        // Not offered: APOP needs the plain password stored (RFC 1939 7).
        return bad(out, "APOP not supported");
    case Verb::kUser:
        if (state != State::kAuthorization) return bad(out, kWrongState);
        if (!passwords_allowed()) return bad(out, kNeedsTls);
        if (c.arg.empty()) return bad(out, "syntax: USER name");
        // Any name gets +OK: whether it exists shows nowhere.
        user.assign(c.arg);
        user_given = true;
        return ok(out, "send PASS");
    case Verb::kPass:
        if (state != State::kAuthorization) return bad(out, kWrongState);
        if (!passwords_allowed()) return bad(out, kNeedsTls);
        if (!after_user) return bad(out, "send USER first");
        // RFC 1939 7: the password is the rest of the line, spaces included.
        if (c.raw.empty()) return bad(out, "syntax: PASS password");
        password.assign(c.raw);
        mode = Mode::kWaitAuth;
        return;
    case Verb::kAuth:
        if (state != State::kAuthorization) return bad(out, kWrongState);
        if (!c.arg.empty() && !passwords_allowed()) return bad(out, kNeedsTls);
        return cmd_auth(c, out);
    case Verb::kStls:
        if (state != State::kAuthorization) return bad(out, kWrongState);
        if (!c.arg.empty()) return bad(out, "syntax: STLS");
        if (client.tls) return bad(out, "already using TLS");
        if (!config.tls_available) return bad(out, "STLS not available");
        ok(out, "begin TLS negotiation");
        mode = Mode::kWaitTls;
        return;
    case Verb::kStat:
    case Verb::kList:
    case Verb::kRetr:
    case Verb::kDele:
    case Verb::kNoop:
    case Verb::kRset:
    case Verb::kTop:
    case Verb::kUidl:
        if (state != State::kTransaction) return bad(out, kWrongState);
        return transaction_command(c, out);
    }
}

void Session::Impl::cmd_capa(const Command& c, std::string& out) {
    if (!c.arg.empty()) return bad(out, "syntax: CAPA");
    out += "+OK capability list follows\r\n";
    out += "TOP\r\nUIDL\r\n";
    // Login capabilities only where they can be used (RFC 2449 5: the
    // list may differ between states).
    if (state == State::kAuthorization) {
        if (passwords_allowed()) out += "USER\r\nSASL PLAIN\r\n";
        if (config.tls_available && !client.tls) out += "STLS\r\n";
    }
    out += "RESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nIMPLEMENTATION ringpost\r\n.\r\n";
}

void Session::Impl::cmd_auth(const Command& c, std::string& out) {
    if (c.arg.empty()) {
        // Not in RFC 5034, but what clients probing for mechanisms send
        // (the RFC 1734 era): list them.
        out += passwords_allowed() ? "+OK\r\nPLAIN\r\n.\r\n" : "+OK\r\n.\r\n";
        return;
    }
    std::string_view mechanism, initial;
    split_first(c.arg, mechanism, initial);
    if (!iequals(mechanism, "PLAIN")) return bad(out, "unsupported authentication mechanism");
    if (initial.empty()) {
        // RFC 5034 4: an empty challenge, the client answers on its own line.
        out += "+ \r\n";
        mode = Mode::kAuthResponse;
        return;
    }
    plain_response(initial, out);
}

void Session::Impl::plain_response(std::string_view response, std::string& out) {
    PlainCredentials pc;
    switch (decode_plain(response, pc)) {
    case PlainStatus::kOk:
        user = std::move(pc.user);
        password = std::move(pc.password);
        mode = Mode::kWaitAuth;
        return;
    case PlainStatus::kBadBase64:
        return auth_failed(out, "invalid base64 data");
    case PlainStatus::kMalformed:
    case PlainStatus::kBadAuthzid:
        return auth_failed(out, kBadCredentials);
    }
}

void Session::Impl::cmd_quit(const Command& c, std::string& out) {
    if (!c.arg.empty()) return bad(out, "syntax: QUIT");
    if (state == State::kAuthorization) {
        signing_off(out);
        mode = Mode::kClosed;
        return;
    }
    // RFC 1939 6: the UPDATE state removes what DELE marked.
    state = State::kUpdate;
    if (live_count == entries.size()) {
        signing_off(out);
        mode = Mode::kClosed;
        return;
    }
    mode = Mode::kWaitUpdate;
}

bool Session::Impl::message_number(std::string_view arg, std::string_view syntax, size_t& index,
                                   std::string& out) {
    uint64_t n = 0;
    if (!parse_number(arg, n)) {
        bad(out, syntax);
        return false;
    }
    if (n == 0 || n > entries.size() || deleted[n - 1]) {
        err(out, kNoSuchMessage);
        return false;
    }
    index = size_t(n - 1);
    return true;
}

void Session::Impl::list_one(size_t index, std::string& out) {
    append_number(out, index + 1);
    out += ' ';
    if (list_uids) out += entries[index].uid;
    else append_number(out, entries[index].size);
    out += "\r\n";
}

void Session::Impl::transaction_command(const Command& c, std::string& out) {
    switch (c.verb) {
    case Verb::kStat: return cmd_stat(c, out);
    case Verb::kList:
    case Verb::kUidl: return cmd_list(c, out);
    case Verb::kRetr: {
        size_t index = 0;
        if (!message_number(c.arg, "syntax: RETR msg", index, out)) return;
        fetch_index = index;
        fetch_top = false;
        mode = Mode::kWaitFetch;
        return;
    }
    case Verb::kTop: return cmd_top(c, out);
    case Verb::kDele: return cmd_dele(c, out);
    case Verb::kNoop:
        if (!c.arg.empty()) return bad(out, "syntax: NOOP");
        out += "+OK\r\n";
        return;
    case Verb::kRset: return cmd_rset(c, out);
    default:
        return;
    }
}

void Session::Impl::cmd_stat(const Command& c, std::string& out) {
    if (!c.arg.empty()) return bad(out, "syntax: STAT");
    out += "+OK ";
    append_number(out, live_count);
    out += ' ';
    append_number(out, live_size);
    out += "\r\n";
}

void Session::Impl::cmd_list(const Command& c, std::string& out) {
    list_uids = c.verb == Verb::kUidl;
    if (c.arg.empty()) {
        if (list_uids) {
            out += "+OK unique-id listing follows\r\n";
        } else {
            out += "+OK ";
            append_number(out, live_count);
            out += " messages (";
            append_number(out, live_size);
            out += " octets)\r\n";
        }
        list_pos = 0;
        mode = Mode::kStreamList;
        return;
    }
    size_t index = 0;
    if (!message_number(c.arg, list_uids ? "syntax: UIDL [msg]" : "syntax: LIST [msg]", index, out)) return;
    out += "+OK ";
    list_one(index, out);
}

void Session::Impl::cmd_top(const Command& c, std::string& out) {
    std::string_view msg, lines;
    split_first(c.arg, msg, lines);
    uint64_t n = 0;
    if (lines.empty() || !parse_number(lines, n)) return bad(out, "syntax: TOP msg n");
    size_t index = 0;
    if (!message_number(msg, "syntax: TOP msg n", index, out)) return;
    fetch_index = index;
    fetch_top = true;
    top_lines = n;
    mode = Mode::kWaitFetch;
}

void Session::Impl::cmd_dele(const Command& c, std::string& out) {
    uint64_t n = 0;
    if (!parse_number(c.arg, n)) return bad(out, "syntax: DELE msg");
    if (n == 0 || n > entries.size()) return err(out, kNoSuchMessage);
    if (deleted[n - 1]) {
        out += "-ERR message ";
        append_number(out, n);
        out += " already deleted\r\n";
        return;
    }
    deleted[n - 1] = true;
    --live_count;
    live_size -= entries[n - 1].size;
    out += "+OK message ";
    append_number(out, n);
    out += " deleted\r\n";
}

void Session::Impl::cmd_rset(const Command& c, std::string& out) {
    if (!c.arg.empty()) return bad(out, "syntax: RSET");
    std::fill(deleted.begin(), deleted.end(), false);
    live_count = entries.size();
    live_size = 0;
    for (const auto& e : entries) live_size += e.size;
    return maildrop_summary(out);
}

bool Session::Impl::stream_message(std::string& out) {
    const size_t chunk = config.limits.output_chunk;
    for (;;) {
        if (stuffer.done() || message_pos == message.size()) {
            stuffer.finish(out);
            std::string().swap(message);   // megabytes: give them back now
            message_pos = 0;
            mode = Mode::kCommand;
            return true;
        }
        // The stuffer needs room for two bytes to make progress.
        if (out.size() + 2 > chunk) return false;
        message_pos += stuffer.encode(std::string_view(message).substr(message_pos), out, chunk);
    }
}

bool Session::Impl::stream_list(std::string& out) {
    const size_t chunk = config.limits.output_chunk;
    while (list_pos < entries.size()) {
        if (out.size() >= chunk) return false;
        size_t i = list_pos++;
        if (!deleted[i]) list_one(i, out);
    }
    out += ".\r\n";
    mode = Mode::kCommand;
    return true;
}

Session::Session(const SessionConfig& config, ClientInfo client) : impl_(new Impl(config, std::move(client))) {}

Session::~Session() { delete impl_; }

void Session::greet(std::string& out) { ok(out, "ringpost POP3 server ready"); }

Event Session::feed(std::string_view input, size_t& consumed, std::string& out) {
    Impl& s = *impl_;
    const size_t n = input.size();
    size_t pos = 0;
    for (;;) {
        switch (s.mode) {
        case Mode::kClosed:
            // Nothing more is read after the last response; swallow the rest.
            consumed = n;
            return Event::kClose;
        case Mode::kWaitAuth:
            consumed = pos;
            return Event::kAuthenticate;
        case Mode::kWaitOpen:
            consumed = pos;
            return Event::kOpenMaildrop;
        case Mode::kWaitFetch:
            consumed = pos;
            return Event::kFetch;
        case Mode::kWaitUpdate:
            consumed = pos;
            return Event::kUpdate;
        case Mode::kWaitTls:
            consumed = pos;
            return Event::kStartTls;

        case Mode::kStreamMessage:
            if (!s.stream_message(out)) {
                consumed = pos;
                return Event::kFlush;
            }
            continue;
        case Mode::kStreamList:
            if (!s.stream_list(out)) {
                consumed = pos;
                return Event::kFlush;
            }
            continue;

        case Mode::kCommand:
        case Mode::kAuthResponse: {
            const bool auth = s.mode == Mode::kAuthResponse;
            const size_t max_line = auth ? s.config.limits.max_auth_line : s.config.limits.max_command_line;
            // The framer skips an overlong line as it arrives and reports
            // it once, at its end.
            const proto::LineFramer::Frame f = s.framer.peek(input, pos, max_line);
            pos = s.framer.take(f);
            if (f.kind == proto::LineFramer::Kind::kNeedInput) {
                consumed = pos;
                return Event::kNeedInput;
            }
            if (f.kind == proto::LineFramer::Kind::kOverlong) {
                if (auth) {
                    s.auth_failed(out, "line too long");
                } else {
                    ++s.stats.commands;
                    s.user_given = false;
                    s.bad(out, "line too long");
                }
                continue;
            }
            const std::string_view line = f.line;
            if (auth) {
                s.mode = Mode::kCommand;
                // RFC 5034 4: "*" cancels the exchange.
                if (line == "*") err(out, "authentication cancelled");
                else s.plain_response(line, out);
            } else {
                s.command(line, out);
            }
            continue;
        }
        }
    }
}

Session::Credentials Session::credentials() {
    Impl& s = *impl_;
    return Credentials{s.user, std::move(s.password)};
}

void Session::auth_done(const auth::Outcome& result, std::string& out) {
    Impl& s = *impl_;
    s.password.clear();
    switch (result.status) {
    case auth::Status::kOk:
        if (!result.user.empty()) s.user = result.user;
        s.mode = Mode::kWaitOpen;
        return;
    case auth::Status::kBadCredentials:
        return s.auth_failed(out, kBadCredentials);
    case auth::Status::kTempFail:
        s.user.clear();
        s.mode = Mode::kCommand;
        return err(out, "[SYS/TEMP] authentication temporarily unavailable");
    }
}

const std::string& Session::user() const { return impl_->user; }

void Session::maildrop_opened(Result<std::vector<MaildropEntry>> maildrop, std::string& out) {
    Impl& s = *impl_;
    s.mode = Mode::kCommand;
    if (!maildrop) {
        s.user.clear();
        if (maildrop.error().code == kInUse) return err(out, "[IN-USE] maildrop already locked");
        return err(out, "[SYS/TEMP] cannot open maildrop");
    }
    s.entries = std::move(maildrop.value());
    s.deleted.assign(s.entries.size(), false);
    s.live_count = s.entries.size();
    s.live_size = 0;
    for (const auto& e : s.entries) s.live_size += e.size;
    s.state = State::kTransaction;
    s.maildrop_summary(out);
}

const std::string& Session::fetch_uid() const { return impl_->entries[impl_->fetch_index].uid; }

void Session::fetched(Result<std::string> message, std::string& out) {
    Impl& s = *impl_;
    if (!message) {
        s.mode = Mode::kCommand;
        // Gone for good (expunged over IMAP): not a temporary failure.
        if (message.error().code == kMessageGone) return err(out, "message was deleted by another session");
        return err(out, "[SYS/TEMP] cannot read message");
    }
    if (s.fetch_top) {
        out += "+OK top of message follows\r\n";
    } else {
        out += "+OK ";
        append_number(out, s.entries[s.fetch_index].size);
        out += " octets\r\n";
    }
    s.message = std::move(message.value());
    s.message_pos = 0;
    s.stuffer = mail::DotStuffer{};
    if (s.fetch_top) s.stuffer.limit_body_lines(s.top_lines);
    ++s.stats.retrieved;
    s.mode = Mode::kStreamMessage;
}

std::vector<std::string> Session::deletions() const {
    const Impl& s = *impl_;
    std::vector<std::string> uids;
    uids.reserve(s.entries.size() - s.live_count);
    for (size_t i = 0; i < s.entries.size(); ++i)
        if (s.deleted[i]) uids.push_back(s.entries[i].uid);
    return uids;
}

void Session::updated(const Result<void>& result, std::string& out) {
    Impl& s = *impl_;
    s.mode = Mode::kClosed;
    if (!result) return err(out, "[SYS/TEMP] some deleted messages not removed");
    s.stats.deleted = uint32_t(s.entries.size() - s.live_count);
    s.signing_off(out);
}

void Session::tls_started() {
    Impl& s = *impl_;
    s.client.tls = true;
    s.user.clear();
    s.user_given = false;
    s.mode = Mode::kCommand;
}

void Session::timeout(std::string&) {
    // RFC 1939 3: the autologout timer closes the connection without a
    // response and without entering UPDATE.
    impl_->mode = Mode::kClosed;
}

void Session::shutdown(std::string& out) {
    err(out, "[SYS/TEMP] server shutting down");
    impl_->mode = Mode::kClosed;
}

bool Session::in_transaction() const { return impl_->state != State::kAuthorization; }

bool Session::in_update() const { return impl_->mode == Mode::kWaitUpdate; }

const Session::Stats& Session::stats() const { return impl_->stats; }

}  // namespace ringpost::pop3
