// The outbound SMTP client state machine (see smtp_client.hpp).
//
// Every command queued with send() pushes the reply it expects onto
// expected_; on_reply() pops one entry per reply and handles it by that
// entry. With PIPELINING, MAIL, every RCPT and DATA (or a small BDAT) are
// queued at once (RFC 2920 3.1: DATA may end a group) and the replies are
// matched in order; without it, each reply handler queues the next command.
// Recipients are "open" until their outcome is final: a refused RCPT
// decides one at once, the data reply decides the accepted ones, and an
// early end (421, lost connection) decides whatever is still open.
#include "delivery/smtp_client.hpp"

#include <cassert>
#include <utility>

#include "mail/eight_bit_downgrade.hpp"
#include "mail/esmtp_parameters.hpp"

namespace ringpost::delivery {
namespace {

std::string_view default_enhanced(int klass) {
    switch (klass) {
        case 2: return "2.0.0";
        case 5: return "5.0.0";
        default: return "4.0.0";   // 4xx, and a 3xx where none belongs: retry is the safe side
    }
}

Outcome outcome_of(uint16_t code) {
    switch (code / 100) {
        case 2: return Outcome::kDelivered;
        case 5: return Outcome::kFailed;
        default: return Outcome::kDeferred;
    }
}

Diagnostic from_reply(const ServerReply& r) {
    Diagnostic d;
    d.outcome = outcome_of(r.code);
    d.code = r.code;
    d.enhanced = r.enhanced.empty() ? std::string(default_enhanced(r.klass())) : r.enhanced;
    for (const auto& l : r.lines) {
        if (l.empty()) continue;
        if (!d.text.empty()) d.text += ' ';
        d.text += l;
    }
    return d;
}

Diagnostic local(Outcome o, std::string_view enhanced, std::string text) {
    Diagnostic d;
    d.outcome = o;
    d.enhanced.assign(enhanced);
    d.text = std::move(text);
    return d;
}

// A reply the client cannot act on: the server and we disagree about the
// state of the session (a 250 to DATA, a reply nobody asked for, a 354
// after the data...). Temporary: another try, maybe another server, may
// go better; and never "delivered", since what the server took is unknown.
Diagnostic protocol_error(std::string_view what, const ServerReply& r) {
    return local(Outcome::kDeferred, "4.5.0", "protocol error: " + std::string(what) + " " + r.to_string());
}

// A value that would end the command line early (CR, LF, NUL, other
// controls) or the angle brackets (">") must never reach the server: it
// could inject commands into the pipelined stream.
bool unsafe_path(std::string_view s) {
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f || c == '<' || c == '>') return true;
    }
    return false;
}

const char* timeout_phase(TimeoutKind k) {
    switch (k) {
        case TimeoutKind::kInitial: return "waiting for the greeting";
        case TimeoutKind::kCommand: return "waiting for a command reply";
        case TimeoutKind::kMail: return "waiting for the MAIL FROM reply";
        case TimeoutKind::kRcpt: return "waiting for the RCPT TO reply";
        case TimeoutKind::kDataInit: return "waiting for the DATA reply";
        case TimeoutKind::kDataBlock: return "sending message data";
        case TimeoutKind::kDataTerm: return "waiting for the end of data reply";
    }
    return "talking to the server";
}

}  // namespace

std::string Diagnostic::to_string() const {
    std::string s;
    if (code != 0) {
        s = std::to_string(code);
        s += ' ';
    }
    s += enhanced;
    if (!text.empty()) {
        s += ' ';
        s += text;
    }
    return s;
}

ClientSession::ClientSession(ClientConfig config) : config_(std::move(config)) {
    if (config_.data_chunk < 1024) config_.data_chunk = 1024;
    expected_.push_back(Expect::kGreeting);
}

ClientSession::Want ClientSession::want() const {
    if (phase_ == Phase::kClosed) return Want::kClosed;
    if (out_sent_ < out_.size() || streaming_data_ || !raw_.empty()) return Want::kWrite;
    if (!expected_.empty()) return Want::kRead;
    if (phase_ == Phase::kTlsHandshake) return Want::kStartTls;
    return Want::kReady;
}

TimeoutKind ClientSession::timeout_kind() const {
    if (streaming_data_ || !raw_.empty()) return TimeoutKind::kDataBlock;
    if (expected_.empty()) return TimeoutKind::kCommand;
    switch (expected_.front()) {
        case Expect::kGreeting: return TimeoutKind::kInitial;
        case Expect::kMail: return TimeoutKind::kMail;
        case Expect::kRcpt: return TimeoutKind::kRcpt;
        case Expect::kData: return TimeoutKind::kDataInit;
        case Expect::kDataEnd:
        case Expect::kBdat: return TimeoutKind::kDataTerm;
        default: return TimeoutKind::kCommand;
    }
}

std::string_view ClientSession::output() {
    if (out_sent_ < out_.size()) return std::string_view(out_).substr(out_sent_);
    out_.clear();
    out_sent_ = 0;
    if (streaming_data_) {
        // The next chunk of stuffed data; the caller's body is read in place.
        body_pos_ += stuffer_.encode(tx_.body.substr(body_pos_), out_, config_.data_chunk);
        if (body_pos_ == tx_.body.size()) {
            stuffer_.finish(out_);
            streaming_data_ = false;
            expected_.push_back(Expect::kDataEnd);
        }
        return out_;
    }
    return raw_;
}

void ClientSession::written(size_t n) {
    if (out_sent_ < out_.size()) {
        assert(n <= out_.size() - out_sent_);
        out_sent_ += n;
        return;
    }
    assert(n <= raw_.size());
    raw_.remove_prefix(n);
}

void ClientSession::send(std::string_view line, Expect expect) {
    out_ += line;
    out_ += "\r\n";
    expected_.push_back(expect);
}

void ClientSession::feed(std::string_view in) {
    while (!in.empty() && phase_ != Phase::kClosed) {
        size_t used = 0;
        auto st = parser_.feed(in, used);
        in.remove_prefix(used);
        if (st == ReplyParser::Status::kNeedMore) return;
        if (st == ReplyParser::Status::kError) {
            fail_session(local(Outcome::kDeferred, "4.5.0", "protocol error: " + parser_.error()), false);
            return;
        }
        ServerReply reply = parser_.take();
        on_reply(reply);
        // Whatever followed the 220 to STARTTLS came before the handshake
        // and may have been injected by a man in the middle (the client side
        // of CVE-2011-0411): it is dropped.
        if (phase_ == Phase::kTlsHandshake) return;
    }
}

bool ClientSession::reply_fits(Expect expect, const ServerReply& reply) {
    const int klass = reply.klass();
    switch (expect) {
        case Expect::kGreeting: return reply.code == 220 || klass == 4 || klass == 5;
        case Expect::kData: return reply.code == 354 || klass == 4 || klass == 5;
        case Expect::kAbortDot:
        case Expect::kQuit: return true;   // nothing depends on these replies
        default: return klass == 2 || klass == 4 || klass == 5;
    }
}

std::string_view ClientSession::command_name(Expect expect) {
    switch (expect) {
        case Expect::kGreeting: return "the greeting";
        case Expect::kEhlo: return "EHLO";
        case Expect::kHelo: return "HELO";
        case Expect::kStartTls: return "STARTTLS";
        case Expect::kMail: return "MAIL FROM";
        case Expect::kRcpt: return "RCPT TO";
        case Expect::kData: return "DATA";
        case Expect::kDataEnd: return "end of data";
        case Expect::kBdat: return "BDAT";
        case Expect::kAbortDot: return "the empty message";
        case Expect::kRset: return "RSET";
        case Expect::kQuit: return "QUIT";
    }
    return "a command";
}

void ClientSession::on_reply(const ServerReply& reply) {
    if (expected_.empty()) {
        on_unrequested_reply(reply);
        return;
    }
    const Expect expect = expected_.front();
    expected_.pop_front();
    // 421: the server is closing the channel, whatever we asked (RFC 5321
    // 3.8); the replies still expected will never come.
    if (reply.code == 421 && expect != Expect::kQuit) {
        fail_session(from_reply(reply), false);
        return;
    }
    // Every step has its success (354 for DATA, 2xx otherwise), a 4xx and a
    // 5xx; any other reply (a 250 to DATA, a 354 to RCPT or after the data)
    // means the server is elsewhere in the dialogue than we are. Nothing
    // it says can be trusted, and what it took is unknown: protocol error,
    // the session ends without another command.
    if (!reply_fits(expect, reply)) {
        fail_session(protocol_error("unexpected reply to " + std::string(command_name(expect)) + ":", reply),
                     false);
        return;
    }

    switch (expect) {
        case Expect::kGreeting: on_greeting_reply(reply); return;
        case Expect::kEhlo: on_ehlo_reply(reply); return;
        case Expect::kHelo: on_helo_reply(reply); return;
        case Expect::kStartTls: on_starttls_reply(reply); return;
        case Expect::kMail: on_mail_reply(reply); return;
        case Expect::kRcpt: on_rcpt_reply(reply); return;
        case Expect::kData: on_data_reply(reply); return;
        case Expect::kDataEnd: on_data_end_reply(reply); return;
        case Expect::kBdat: on_bdat_reply(reply); return;
        case Expect::kAbortDot: return;
        case Expect::kRset: on_rset_reply(reply); return;
        case Expect::kQuit: phase_ = Phase::kClosed; return;
    }
}

void ClientSession::on_unrequested_reply(const ServerReply& reply) {
    if (reply.code == 421) {
        fail_session(from_reply(reply), false);
        return;
    }
    const Diagnostic d = protocol_error("unexpected reply", reply);
    // A reply nobody asked for right behind the one that ended a
    // transaction (in the same read): the replies were matched to the
    // wrong commands, so that transaction's "delivered" came from some
    // other reply (typically a stray line in front shifted a RCPT's 250
    // onto BDAT). Deferred: at least once, never lost.
    if (result_) {
        for (auto& r : result_->recipients)
            if (r.outcome == Outcome::kDelivered) r = d;
        if (result_->final.outcome == Outcome::kDelivered) result_->final = d;
    }
    fail_session(d, false);
}

void ClientSession::on_greeting_reply(const ServerReply& reply) {
    if (reply.code == 220) {
        greeting_ = reply.lines.front();
        phase_ = Phase::kHello;
        send("EHLO " + config_.hostname, Expect::kEhlo);
    } else {
        // A 554 greeting still wants our QUIT (RFC 5321 3.1).
        fail_session(from_reply(reply), reply.klass() == 5);
    }
}

void ClientSession::on_ehlo_reply(const ServerReply& reply) {
    const int klass = reply.klass();
    if (klass == 2) {
        caps_ = parse_ehlo(reply);
        on_hello_done();
    } else if (klass == 5) {
        // Not an ESMTP server (RFC 5321 3.2): HELO, and no extensions.
        send("HELO " + config_.hostname, Expect::kHelo);
    } else {
        fail_session(from_reply(reply), true);
    }
}

void ClientSession::on_helo_reply(const ServerReply& reply) {
    if (reply.klass() == 2) {
        caps_ = Capabilities{};
        on_hello_done();
    } else {
        fail_session(from_reply(reply), true);
    }
}

void ClientSession::on_starttls_reply(const ServerReply& reply) {
    if (reply.code == 220) {
        phase_ = Phase::kTlsHandshake;
    } else if (requires_tls(config_.tls)) {
        fail_session(local(Outcome::kDeferred, kTlsNotOfferedStatus,
                           tls_refused_text(config_.tls, tls_host(), reply.to_string())),
                     true);
    } else {
        // Opportunistic TLS (RFC 3207 4.1 lets the client go on in
        // plain text after a refusal, which is what a "may" policy does).
        phase_ = Phase::kReady;
    }
}

void ClientSession::on_mail_reply(const ServerReply& reply) {
    if (reply.klass() == 2) {
        if (!caps_.has(kExtPipelining)) send_rcpt(0);
        return;
    }
    mail_failed_ = true;
    work_.final = from_reply(reply);
    decide_open(work_.final);
    // Pipelined: the RCPT and DATA replies are still coming; they
    // are read and ignored before the RSET (after_rcpts / kData).
    if (!caps_.has(kExtPipelining)) finish_transaction(false);
}

void ClientSession::on_rcpt_reply(const ServerReply& reply) {
    const size_t index = sendable_[rcpt_replies_++];
    if (!mail_failed_) {
        if (reply.klass() == 2) {
            accepted_[index] = 1;
            ++accepted_count_;
        } else {
            work_.recipients[index] = from_reply(reply);
            decided_[index] = 1;
        }
    }
    if (rcpt_replies_ == sendable_.size()) {
        after_rcpts();
    } else if (!caps_.has(kExtPipelining)) {
        send_rcpt(rcpt_replies_);
    }
}

void ClientSession::on_data_reply(const ServerReply& reply) {
    // 354, or a 4xx/5xx that ends the transaction by its class
    // (reply_fits); never a delivery, since no body was sent.
    if (reply.code == 354) {
        if (!mail_failed_ && accepted_count_ > 0) {
            start_data_stream();
        } else {
            // Pipelined DATA after every RCPT was refused, and the
            // server still said 354: end that empty message with a
            // lone dot (it has no recipients to deliver to) and reset.
            send(".", Expect::kAbortDot);
            finish_transaction(false);
        }
        return;
    }
    if (!mail_failed_ && accepted_count_ > 0) {
        work_.final = from_reply(reply);
        decide_open(work_.final);
    }
    // Otherwise this is the 503/554 that a pipelined DATA gets when
    // no recipient was accepted (RFC 2920 3.1): expected, nothing to decide.
    finish_transaction(false);
}

void ClientSession::on_data_end_reply(const ServerReply& reply) {
    work_.final = from_reply(reply);
    decide_open(work_.final);
    finish_transaction(reply.klass() == 2);
}

void ClientSession::on_bdat_reply(const ServerReply& reply) {
    if (!mail_failed_ && accepted_count_ > 0) {
        work_.final = from_reply(reply);
        decide_open(work_.final);
        finish_transaction(reply.klass() == 2);
    } else {
        // The pipelined chunk of a transaction without recipients: the
        // server had to read and refuse it.
        finish_transaction(false);
    }
}

void ClientSession::on_rset_reply(const ServerReply& reply) {
    // A server that cannot even reset is not worth another
    // transaction. A refused RSET says nothing about the recipients
    // of the transaction it was to start (pipelined behind it on a
    // reused connection): they are deferred, even after a 5xx.
    if (reply.klass() != 2) {
        mail_after_rset_ = false;
        fail_session(local(Outcome::kDeferred, "4.5.0", "RSET refused: " + reply.to_string()), true);
        return;
    }
    if (mail_after_rset_) {
        mail_after_rset_ = false;
        send_mail();
    }
}

void ClientSession::on_hello_done() {
    if (!tls_) {
        switch (decide_starttls(config_.tls, caps_.has(kExtStartTls))) {
            case StartTlsDecision::kStartTls:
                send("STARTTLS", Expect::kStartTls);
                return;
            case StartTlsDecision::kDefer:
                fail_session(local(Outcome::kDeferred, kTlsNotOfferedStatus,
                                   tls_not_offered_text(config_.tls, tls_host())),
                             true);
                return;
            case StartTlsDecision::kPlain: break;
        }
    }
    phase_ = Phase::kReady;
}

std::string_view ClientSession::tls_host() const {
    if (!config_.tls_host.empty()) return config_.tls_host;
    return greeting_.empty() ? std::string_view("the server") : std::string_view(greeting_).substr(0, greeting_.find(' '));
}

void ClientSession::tls_failed(std::string_view error) {
    assert(phase_ == Phase::kTlsHandshake);
    tls_handshake_failed_ = true;
    fail_session(local(Outcome::kDeferred, kTlsFailedStatus, tls_handshake_failed_text(config_.tls, tls_host(), error)),
                 false);
}

void ClientSession::tls_started() {
    assert(phase_ == Phase::kTlsHandshake);
    tls_ = true;
    caps_ = Capabilities{};
    phase_ = Phase::kHello;
    send("EHLO " + config_.hostname, Expect::kEhlo);
}

void ClientSession::begin(Transaction tx) {
    assert(phase_ == Phase::kReady && want() == Want::kReady);
    tx_ = std::move(tx);
    result_.reset();
    const size_t n = tx_.recipients.size();
    work_ = TransactionResult{};
    work_.recipients.assign(n, Diagnostic{});
    work_.dsn_offered = caps_.has(kExtDsn);
    decided_.assign(n, 0);
    accepted_.assign(n, 0);
    sendable_.clear();
    accepted_count_ = 0;
    rcpt_replies_ = 0;
    mail_failed_ = false;
    body_sent_ = false;
    bdat_after_rcpts_ = false;
    body_pos_ = 0;

    // Checks that need no round trip: the server told us enough in EHLO.
    if (unsafe_path(tx_.sender)) {
        refuse_all(local(Outcome::kFailed, "5.1.7", "bad sender address syntax"));
        return;
    }
    if (tx_.smtputf8 && !caps_.has(kExtSmtpUtf8)) {
        // RFC 6531 3.4: no downgrade; the message cannot go to this server.
        refuse_all(local(Outcome::kFailed, "5.6.7", "SMTPUTF8 not supported by remote"));
        return;
    }
    if (tx_.body_type != mail::BodyType::kBinaryMime && !caps_.has(kExt8BitMime) && !downgrade_body()) return;
    if (caps_.has(kExtSize) && caps_.max_size > 0 && tx_.body.size() > caps_.max_size) {
        refuse_all(local(Outcome::kFailed, "5.3.4",
                         "message size " + std::to_string(tx_.body.size()) + " exceeds the remote limit " +
                             std::to_string(caps_.max_size)));
        return;
    }
    if (tx_.body_type == mail::BodyType::kBinaryMime && !(caps_.has(kExtChunking) && caps_.has(kExtBinaryMime))) {
        // RFC 3030 3: binary content only with BINARYMIME over BDAT; we do not convert.
        refuse_all(local(Outcome::kFailed, "5.6.3", "binary content but BINARYMIME not supported by remote"));
        return;
    }
    for (size_t i = 0; i < n; ++i) {
        if (unsafe_path(tx_.recipients[i].address)) {
            work_.recipients[i] = local(Outcome::kFailed, "5.1.3", "bad recipient address syntax");
            decided_[i] = 1;
        } else {
            sendable_.push_back(i);
        }
    }
    if (sendable_.empty()) {
        work_.final = local(Outcome::kFailed, "5.1.3", "no valid recipients");
        result_ = std::move(work_);
        return;
    }

    phase_ = Phase::kTransaction;
    // A reused connection starts with RSET (as Postfix does with a cached
    // connection): a server that dropped our session state, or the
    // connection, shows it here rather than in the middle of a message.
    // Pipelined, it costs no round trip; without PIPELINING, MAIL waits
    // for its reply.
    if (rset_before_next_) {
        rset_before_next_ = false;
        send("RSET", Expect::kRset);
        if (!caps_.has(kExtPipelining)) {
            mail_after_rset_ = true;
            return;
        }
    }
    send_mail();
    if (!caps_.has(kExtPipelining)) return;
    for (size_t k = 0; k < sendable_.size(); ++k) send_rcpt(k);
    if (caps_.has(kExtChunking) && tx_.body.size() > config_.pipelined_bdat_limit) {
        bdat_after_rcpts_ = true;
    } else {
        send_body_command();
    }
}

bool ClientSession::downgrade_body() {
    // Undeclared 8-bit data (no BODY=8BITMIME: the client broke RFC 6152,
    // many do) is converted too, as Postfix's cleanup does; the scan runs
    // only here, for the rare server without 8BITMIME.
    const bool declared = tx_.body_type == mail::BodyType::k8BitMime;
    if (!declared && !mail::has_8bit(tx_.body)) return true;
    mail::EightBitDowngrade d = mail::downgrade_8bit(tx_.body, caps_.has(kExtSmtpUtf8));
    if (d.status == mail::EightBitDowngrade::Status::kRefused && !declared) {
        // Never declared, so no bounce for it: sent as it is, as before.
        return true;
    }
    if (d.status == mail::EightBitDowngrade::Status::kRefused) {
        refuse_all(local(Outcome::kFailed, "5.6.3",
                         "8-bit content cannot be converted for a server without 8BITMIME: " + d.reason));
        return false;
    }
    if (d.status == mail::EightBitDowngrade::Status::kConverted) {
        downgraded_ = std::move(d.message);
        tx_.body = downgraded_;
        work_.converted_to_7bit = true;
    }
    tx_.body_type = mail::BodyType::k7Bit;
    return true;
}

void ClientSession::send_mail() {
    std::string cmd = "MAIL FROM:<" + tx_.sender + ">";
    if (caps_.has(kExtSize)) cmd += " SIZE=" + std::to_string(tx_.body.size());
    // BODY=8BITMIME is offered: begin() converted the body otherwise.
    for (const std::string& p : mail::body_parameters(tx_.body_type, tx_.smtputf8)) cmd += " " + p;
    if (caps_.has(kExtDsn)) {
        for (const std::string& p : mail::dsn_mail_parameters(tx_.ret, tx_.envid)) cmd += " " + p;
    }
    send(cmd, Expect::kMail);
}

void ClientSession::send_rcpt(size_t k) {
    const ClientRecipient& r = tx_.recipients[sendable_[k]];
    std::string cmd = "RCPT TO:<" + r.address + ">";
    if (caps_.has(kExtDsn)) {
        for (const std::string& p : mail::dsn_rcpt_parameters(r.notify, r.orcpt)) cmd += " " + p;
    }
    send(cmd, Expect::kRcpt);
}

void ClientSession::after_rcpts() {
    if (body_sent_) return;   // pipelined DATA/BDAT: its reply comes next
    if (mail_failed_ || accepted_count_ == 0) {
        work_.final = local(Outcome::kFailed, "5.0.0", "all recipients were refused");
        finish_transaction(false);
        return;
    }
    send_body_command();
}

void ClientSession::send_body_command() {
    body_sent_ = true;
    if (caps_.has(kExtChunking)) {
        // One chunk holding the whole body: it is already in memory, and
        // the raw bytes go out straight from the caller's buffer.
        work_.used_bdat = true;
        send("BDAT " + std::to_string(tx_.body.size()) + " LAST", Expect::kBdat);
        raw_ = tx_.body;
        return;
    }
    send("DATA", Expect::kData);
}

void ClientSession::start_data_stream() {
    streaming_data_ = true;
    body_pos_ = 0;
}

void ClientSession::decide_open(const Diagnostic& d) {
    for (size_t i = 0; i < decided_.size(); ++i) {
        if (decided_[i]) continue;
        work_.recipients[i] = d;
        decided_[i] = 1;
    }
}

void ClientSession::finish_transaction(bool success) {
    if (work_.final.text.empty() && work_.final.code == 0) {
        work_.final = local(Outcome::kFailed, "5.0.0", "all recipients were refused");
    }
    result_ = std::move(work_);
    work_ = TransactionResult{};
    streaming_data_ = false;
    raw_ = {};
    std::string().swap(downgraded_);   // a converted copy is not kept by an idle connection
    phase_ = Phase::kReady;
    // A completed transaction leaves the server reset (RFC 5321 4.1.1.4);
    // anything else gets an explicit RSET before the connection is reused.
    if (!success) send("RSET", Expect::kRset);
    rset_before_next_ = success;
    // The data chunk buffer is not kept across idle periods of a pooled connection.
    if (out_.capacity() > 16 * 1024 && out_sent_ >= out_.size()) {
        out_.clear();
        out_.shrink_to_fit();
        out_sent_ = 0;
    }
}

void ClientSession::refuse_all(const Diagnostic& d) {
    decide_open(d);
    work_.final = d;
    result_ = std::move(work_);
    work_ = TransactionResult{};
}

void ClientSession::fail_session(Diagnostic d, bool send_quit) {
    if (phase_ == Phase::kTransaction) {
        // Whatever the server had not answered for is undecided: an early
        // close is temporary for those recipients whatever the reply says
        // about the session (a 421 is 4xx; a 5xx to RSET cannot happen here).
        decide_open(d);
        work_.final = d;
        result_ = std::move(work_);
        work_ = TransactionResult{};
    }
    failure_ = std::move(d);
    expected_.clear();
    streaming_data_ = false;
    raw_ = {};
    out_.clear();
    out_sent_ = 0;
    if (send_quit) {
        phase_ = Phase::kQuit;
        send("QUIT", Expect::kQuit);
    } else {
        phase_ = Phase::kClosed;
    }
}

void ClientSession::quit() {
    assert(phase_ == Phase::kReady && want() == Want::kReady);
    phase_ = Phase::kQuit;
    send("QUIT", Expect::kQuit);
}

void ClientSession::connection_lost(std::string_view reason) {
    if (phase_ == Phase::kClosed) return;
    if (phase_ == Phase::kQuit) {
        // Gone before answering QUIT: nothing was pending, nothing is lost.
        phase_ = Phase::kClosed;
        return;
    }
    fail_session(local(Outcome::kDeferred, "4.4.2", "lost connection with remote: " + std::string(reason)), false);
}

void ClientSession::timed_out() {
    if (phase_ == Phase::kClosed) return;
    if (phase_ == Phase::kQuit) {
        phase_ = Phase::kClosed;
        return;
    }
    fail_session(local(Outcome::kDeferred, "4.4.2",
                       std::string("conversation timed out while ") + timeout_phase(timeout_kind())),
                 false);
}

TransactionResult ClientSession::take_result() {
    assert(result_.has_value());
    TransactionResult r = std::move(*result_);
    result_.reset();
    return r;
}

}  // namespace ringpost::delivery
