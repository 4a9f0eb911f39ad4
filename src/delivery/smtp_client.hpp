// The outbound SMTP client protocol as a sans-I/O state machine (the
// delivery engine's counterpart of smtp::Session): server bytes in, bytes to
// send out, per-recipient outcomes at the end of each transaction. No
// sockets and no clocks: the driver (client_connection) moves the bytes and
// applies the timeout that timeout_kind() names.
//
// Shaped like OpenSMTPD's mta_session.c: entering a step queues its command,
// and every expected reply is remembered in order (a queue, so pipelined
// commands, RFC 2920, and one-at-a-time commands share one code path); each
// reply is handled by the command it answers.
//
// Flow: 220 greeting, EHLO (HELO when EHLO gets a 5xx), optional STARTTLS
// hook, then any number of transactions (MAIL, RCPT..., DATA or BDAT), RSET
// after a failed one, and QUIT.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/client_extensions.hpp"
#include "delivery/client_reply.hpp"
#include "delivery/tls_policy.hpp"
#include "mail/dot_stuffer.hpp"
#include "mail/envelope.hpp"

namespace ringpost::delivery {

enum class Outcome : uint8_t {
    kDelivered,   // the server took responsibility (2xx after the data)
    kDeferred,    // temporary failure: retry later (4xx, lost connection, timeout)
    kFailed,      // permanent failure: bounce (5xx, or refused before MAIL)
};

// Why a recipient ended up where it did.
struct Diagnostic {
    Outcome outcome = Outcome::kDeferred;
    uint16_t code = 0;        // the server's reply code; 0 when decided here (lost connection, SMTPUTF8...)
    std::string enhanced;     // always set: the server's, or one derived from the code / the local reason
    std::string text;         // the server's text, or the local reason
    // "550 5.1.1 text" or "4.4.2 text" (local): for the envelope's last_reply and logs.
    std::string to_string() const;
};

struct ClientRecipient {
    std::string address;      // without angle brackets
    std::string orcpt;        // DSN ORCPT, decoded "type;address"; empty = none
    uint8_t notify = 0;       // mail::NotifyFlags; 0 = not given
};

// One message to one server. `body` is the stored message (CRLF line
// ends, unstuffed); it is not copied, so it must outlive the transaction.
struct Transaction {
    std::string sender;                       // empty = null reverse-path "<>"
    std::vector<ClientRecipient> recipients;
    std::string envid;                        // DSN ENVID (decoded); empty = none
    mail::DsnRet ret = mail::DsnRet::kUnset;
    mail::BodyType body_type = mail::BodyType::k7Bit;
    bool smtputf8 = false;                    // needs SMTPUTF8 (UTF-8 addresses or headers)
    std::string_view body;
};

struct TransactionResult {
    std::vector<Diagnostic> recipients;   // same order as Transaction::recipients
    // The reply that ended the transaction (the data reply, or the one that
    // aborted it); empty text when every recipient was refused.
    Diagnostic final;
    bool dsn_offered = false;             // the server took NOTIFY/ORCPT (else a "relayed" DSN may be due)
    bool converted_to_7bit = false;       // 8-bit body sent as quoted-printable: no 8BITMIME (RFC 6152)
    bool used_bdat = false;
};

// RFC 5321 4.5.3.2 timeouts; which one applies depends on what we wait for.
enum class TimeoutKind : uint8_t {
    kInitial,     // 220 greeting: 5 min
    kCommand,     // EHLO/HELO/STARTTLS/RSET/QUIT: 5 min (like Postfix's smtp_helo_timeout)
    kMail,        // MAIL reply: 5 min
    kRcpt,        // RCPT reply: 5 min
    kDataInit,    // 354 reply to DATA: 2 min
    kDataBlock,   // writing a block of data: 3 min
    kDataTerm,    // reply after "." or BDAT LAST: 10 min
};

struct ClientConfig {
    std::string hostname = "localhost";   // our name for EHLO/HELO
    // STARTTLS (decide_starttls): kNone never asks; kMay asks when offered
    // and goes on in plain text after a refusal; kEncrypt/kVerify ask and
    // defer the session (4.7.4, QUIT) when STARTTLS is not offered or refused.
    TlsPolicy tls = TlsPolicy::kNone;
    // The server's name (the MX host) for the TLS texts; the driver also
    // uses it for SNI and the certificate check.
    std::string tls_host;
    // Bytes of stuffed DATA produced per output chunk.
    size_t data_chunk = 64 * 1024;
    // With PIPELINING, BDAT and its body go out with MAIL/RCPT only up to
    // this size; a larger body waits for the RCPT replies so that a message
    // whose recipients are all refused is not sent for nothing.
    size_t pipelined_bdat_limit = 256 * 1024;
};

class ClientSession {
public:
    // What the driver must do next.
    enum class Want : uint8_t {
        kWrite,      // send output() and report it with written()
        kRead,       // read server bytes and feed() them
        kStartTls,   // STARTTLS got 220: do the TLS handshake, then tls_started()
        kReady,      // idle: begin() a transaction or quit(); take_result() if has_result()
        kClosed,     // the session is over: close the connection (see failure())
    };

    explicit ClientSession(ClientConfig config);

    Want want() const;
    TimeoutKind timeout_kind() const;

    // The next bytes to send (non-empty when want() == kWrite), valid until
    // written() or feed(). Body data is produced here chunk by chunk.
    std::string_view output();
    void written(size_t n);

    // Server bytes; every byte is consumed (partial lines are kept).
    void feed(std::string_view in);

    // Start a transaction (only when want() == kReady). Checks that need no
    // round trip (SMTPUTF8, SIZE, BINARYMIME, an 8-bit body that cannot be
    // converted for a server without 8BITMIME) may decide it at once, in
    // which case has_result() is true right away and nothing is sent.
    void begin(Transaction tx);
    bool has_result() const { return result_.has_value(); }
    TransactionResult take_result();

    // QUIT (only when want() == kReady); want() becomes kClosed after its reply.
    void quit();

    // After kStartTls: the handshake succeeded; EHLO is sent again and all
    // that was learned before is forgotten (RFC 3207 4.2).
    void tls_started();
    // After kStartTls: the handshake failed (`error` says why). The session
    // is over: every undecided recipient is deferred with 4.7.5 (the
    // driver closes the connection; under "may" it retries in plain text).
    void tls_failed(std::string_view error);
    bool tls_active() const { return tls_; }
    bool tls_handshake_failed() const { return tls_handshake_failed_; }

    // The driver's events: the peer closed or failed, or a timeout fired.
    // Every undecided recipient is deferred with 4.4.2; want() is kClosed.
    void connection_lost(std::string_view reason);
    void timed_out();

    const Capabilities& capabilities() const { return caps_; }
    // Why the session closed early (greeting refused, 421, protocol error,
    // lost connection); empty after a normal QUIT.
    const std::optional<Diagnostic>& failure() const { return failure_; }
    // The server's name from its greeting line (for logs).
    const std::string& greeting() const { return greeting_; }

private:
    enum class Phase : uint8_t { kGreeting, kHello, kTlsHandshake, kReady, kTransaction, kQuit, kClosed };
    enum class Expect : uint8_t { kGreeting, kEhlo, kHelo, kStartTls, kMail, kRcpt, kData, kDataEnd, kBdat, kAbortDot, kRset, kQuit };

    // Acts on one reply by the command it answers (OpenSMTPD's
    // mta_response): one handler per expected reply, each sees only a
    // reply that fits its step (reply_fits).
    void on_reply(const ServerReply& reply);
    void on_unrequested_reply(const ServerReply& reply);   // nothing expected
    void on_greeting_reply(const ServerReply& reply);
    void on_ehlo_reply(const ServerReply& reply);
    void on_helo_reply(const ServerReply& reply);
    void on_starttls_reply(const ServerReply& reply);
    void on_mail_reply(const ServerReply& reply);
    void on_rcpt_reply(const ServerReply& reply);
    void on_data_reply(const ServerReply& reply);
    void on_data_end_reply(const ServerReply& reply);
    void on_bdat_reply(const ServerReply& reply);
    void on_rset_reply(const ServerReply& reply);
    // Whether `reply` is one the step can act on: its success, or a 4xx/5xx.
    static bool reply_fits(Expect expect, const ServerReply& reply);
    static std::string_view command_name(Expect expect);   // "DATA", "end of data", ... for texts
    void send(std::string_view line, Expect expect);   // queue "line\r\n"

    void on_hello_done();
    std::string_view tls_host() const;   // config_.tls_host, else the greeting's name
    void send_mail();
    void send_rcpt(size_t k);      // RCPT for sendable_[k]
    void after_rcpts();            // decide DATA/BDAT/RSET once every RCPT is answered
    void send_body_command();
    void start_data_stream();
    void finish_transaction(bool success);   // result ready; RSET unless success
    void fail_session(Diagnostic d, bool send_quit);
    // Decide every recipient still open with `d`.
    void decide_open(const Diagnostic& d);
    void refuse_all(const Diagnostic& d);    // before MAIL: nothing sent
    // RFC 6152 3: an 8-bit body goes to a server without 8BITMIME converted
    // to 7 bit (into downgraded_, once per transaction; other bodies are
    // sent from the caller's buffer), or not at all: false after refusing
    // with 5.6.3.
    bool downgrade_body();

    ClientConfig config_;
    Phase phase_ = Phase::kGreeting;
    ReplyParser parser_;
    std::deque<Expect> expected_;
    Capabilities caps_;
    bool tls_ = false;
    bool tls_handshake_failed_ = false;
    std::string greeting_;
    std::optional<Diagnostic> failure_;

    // Output: commands (and stuffed data chunks) in out_, then the raw body
    // of a BDAT chunk straight from the caller's buffer.
    std::string out_;
    size_t out_sent_ = 0;
    std::string_view raw_;
    bool streaming_data_ = false;   // producing stuffed DATA chunks
    size_t body_pos_ = 0;
    mail::DotStuffer stuffer_;
    std::string downgraded_;   // the body converted to 7 bit, when tx_.body points here

    // The transaction in progress.
    Transaction tx_;
    TransactionResult work_;                   // filled while the transaction runs
    std::optional<TransactionResult> result_;  // published when it is over
    std::vector<size_t> sendable_;     // recipients that get an RCPT, in order
    std::vector<uint8_t> decided_;     // per recipient: outcome final
    std::vector<uint8_t> accepted_;    // per recipient: RCPT got 2xx
    size_t accepted_count_ = 0;
    size_t rcpt_replies_ = 0;          // RCPT replies seen; the next one is for sendable_[rcpt_replies_]
    bool mail_failed_ = false;
    bool body_sent_ = false;           // DATA or BDAT already on its way
    bool bdat_after_rcpts_ = false;    // pipelined, but BDAT waits for the RCPT replies
    bool rset_before_next_ = false;    // the last transaction succeeded: RSET before the next MAIL
    bool mail_after_rset_ = false;     // not pipelined: MAIL goes out once RSET is answered
};

}  // namespace ringpost::delivery
