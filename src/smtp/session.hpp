// The SMTP server session as a pure state machine (no sockets, no I/O):
// bytes in, replies out, and events that tell the driver (src/smtp/connection)
// when it must do something asynchronous (commit a message, check a
// password, start TLS, close). This is what the unit tests drive directly.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/outcome.hpp"
#include "mail/envelope.hpp"
#include "util/result.hpp"

namespace ringpost::smtp {

struct Limits {
    uint64_t max_message_size = 26214400;   // SIZE, bytes of message data
    uint32_t max_recipients = 1000;
    uint32_t max_command_line = 2048;       // bytes incl. CRLF (Postfix line_length_limit)
    uint32_t max_data_line = 1000000;       // a DATA line longer than this fails the message (552 5.3.4)
    uint32_t max_messages_per_session = 0;  // 0 = unlimited
    // Postfix's smtpd error limits. Every error reply (4xx/5xx: rejected
    // RCPTs, unknown commands, syntax and sequence errors; not 452 "too
    // many recipients") is an error, and so is every junk command (NOOP,
    // RSET, VRFY, HELP) beyond junk_command_limit. Once soft_error_limit
    // errors are reached every reply waits error_delay (Event::kDelay); at
    // hard_error_limit the client gets 421 4.7.0 and is disconnected. An
    // accepted message forgives both counts, so bulk senders (RSET between
    // messages, a few dead addresses per list) never reach them. 0 = no limit.
    uint32_t soft_error_limit = 10;         // smtpd_soft_error_limit
    uint32_t hard_error_limit = 20;         // smtpd_hard_error_limit
    uint32_t junk_command_limit = 100;      // smtpd_junk_command_limit
    std::chrono::milliseconds error_delay{1000};   // smtpd_error_sleep_time; 0 = no delay
};

struct SessionConfig {
    std::string hostname = "localhost";
    Limits limits;
    bool advertise_chunking = true;
    bool advertise_dsn = true;
    bool advertise_smtputf8 = true;
    // STARTTLS (RFC 3207): the listener has a server certificate.
    bool advertise_starttls = false;
    // AUTH (RFC 4954, PLAIN and LOGIN): there is an authenticator. Offered
    // and accepted only over TLS unless allow_plaintext_auth (else 538).
    bool auth_available = false;
    bool allow_plaintext_auth = false;
    uint32_t max_auth_failures = 3;    // failed AUTHs per connection, then 421
    // Message submission (RFC 6409): AUTH before MAIL (530), MAIL FROM owned
    // by the user when require_sender_match (553), and the Date and
    // Message-ID headers added when the message lacks them (8.2, 8.3).
    bool submission = false;
    bool require_sender_match = true;
};

struct ClientInfo {
    std::string ip;          // textual address of the peer
    uint16_t port = 0;
    bool tls = false;        // connection is encrypted
    std::string tls_version = {};   // "TLSv1.3", for the Received: header
    std::string tls_cipher = {};    // "TLS_AES_256_GCM_SHA384"
    int tls_cipher_bits = 0;
    bool authenticated = false;
    std::string auth_user = {};     // the login (lower-cased), once authenticated
    bool relay_allowed = false;  // client is in relay_networks (decided once at connect)
    // The listener screens this client (port 25, not exempt): the per-IP
    // rates apply (Policy::check_mail).
    bool rate_limited = false;
    // What the screening before the greeting said of a client it passed
    // ("pass", "cached", "allowlisted", "pregreet_ignored"): the connect
    // log line's `screen` field. Empty: not screened.
    std::string screen = {};
    // When set: the envelope's protocol and the Received: "with" clause
    // instead of the SMTP name ("HTTP" for the injection API).
    std::string protocol = {};
};

enum class RcptVerdict {
    kAcceptLocal,     // local domain, user exists
    kAcceptRelay,     // remote domain, client may relay
    kUnknownUser,     // 550 5.1.1
    kRelayDenied,     // 554 5.7.1
    kTempFail,        // 451 4.3.0 (store unavailable)
};

// An error reply, as Policy::rejected sees it. Views into the session:
// valid during the call only.
struct Rejection {
    std::string_view stage;       // "RCPT", "DATA", ...; "" for an unknown command
    uint16_t code = 0;
    std::string_view enhanced;    // "5.1.1"
    std::string_view text;        // the reply text after the codes
    std::string_view sender;      // MAIL FROM of the transaction, if any
    std::string_view recipient;   // the RCPT TO address refused, if any
};

// A reply the policy gives instead of going on (a per-IP rate, ...).
struct PolicyRefusal {
    uint16_t code = 0;
    std::string enhanced;   // "4.7.1"
    std::string text;       // after the codes
};

// What the session needs from the outside world; implemented in src/server.
class Policy {
public:
    virtual ~Policy() = default;
    virtual RcptVerdict check_recipient(std::string_view address, const ClientInfo& client) = 0;
    // A fresh, unique, sortable queue ID (16 upper-case hex digits).
    virtual std::string new_queue_id() = 0;
    // Unix time in seconds (injectable for tests).
    virtual int64_t now() = 0;
    // Can the spool take a message of `size` bytes (0 = no SIZE given)?
    // False answers MAIL FROM with 452 4.3.1, as Postfix does below
    // queue_minfree. Called on the session's ring thread: must not block.
    virtual bool storage_available(uint64_t size) {
        (void)size;
        return true;
    }
    // MAIL FROM, before its arguments are looked at (where Postfix counts
    // smtpd_client_message_rate_limit): may this client start a
    // transaction now? A refusal is the reply. Called on the session's
    // ring thread: must not block.
    virtual std::optional<PolicyRefusal> check_mail(const ClientInfo& client) {
        (void)client;
        return std::nullopt;
    }
    // A recipient check_recipient accepted, before its 250: may mail from
    // `sender` reach it from this client now (greylisting, RFC 6647)? A
    // refusal is the reply, after "<rcpt>: Recipient address rejected: ",
    // and the recipient is not added; the transaction's other recipients
    // are decided each on its own. Called on the session's ring thread:
    // must not block.
    virtual std::optional<PolicyRefusal> check_accepted_recipient(std::string_view sender, std::string_view recipient,
                                                                  const ClientInfo& client) {
        (void)sender;
        (void)recipient;
        (void)client;
        return std::nullopt;
    }
    // Every error reply (4xx/5xx) the session gives, for the delivery event
    // log: asked first, so that a policy without a use for them costs the
    // session nothing. Called on the session's ring thread: must not block.
    virtual bool wants_rejections() const { return false; }
    virtual void rejected(const ClientInfo& client, const Rejection& rejection) {
        (void)client;
        (void)rejection;
    }
};

enum class Event {
    kNeedInput,   // all input consumed: flush output, read more
    kCommit,      // a complete message is ready: take_message(), commit, then committed()
    kClose,       // flush output and close the connection (QUIT, 421)
    kStartTls,    // 220 to STARTTLS written: flush it, DISCARD the unconsumed
                  // input (plaintext injection, CVE-2011-0411), handshake,
                  // then tls_started(); on failure close
    kAuth,        // credentials complete: take_auth(), check them, then auth_done()
    kDelay,       // the client is past soft_error_limit: flush output, wait
                  // reply_delay() (a timer, never a blocking sleep), then feed
                  // the same unconsumed input again; the next command is
                  // answered then (Postfix's smtpd_error_sleep_time)
};

// Credentials decoded from AUTH PLAIN / LOGIN, for the driver to check.
struct AuthRequest {
    std::string user;
    std::string password;
};

// Who handed a message over, as far as it decides what is done with the
// message after acceptance (DKIM signing of trusted mail; later egress
// pools and content filters).
struct MessageOrigin {
    bool authenticated = false;
    std::string auth_user;      // the login (lower-cased) when authenticated
    bool relay_allowed = false; // the client is in relay_networks
    bool submission = false;    // it came in on a submission listener (RFC 6409)
    // The connection, for content filters (milter macros).
    uint16_t client_port = 0;
    std::string tls_version;    // "" = not encrypted
    std::string tls_cipher;
    int tls_cipher_bits = 0;
};

// A complete message ready for the spool.
struct AcceptedMessage {
    mail::Envelope envelope;   // queue_id set; recipients classified local/remote
    std::string data;          // Received: header + message, CRLF line ends, unstuffed
    MessageOrigin origin;
    // What filters found, for the "accepted" log line: {"spf", "pass"}.
    std::vector<std::pair<std::string, std::string>> log_fields;
};

class Session {
public:
    Session(SessionConfig config, Policy& policy, ClientInfo client);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // The 220 greeting.
    void greet(std::string& out);

    // Consume input bytes. `consumed` is set to how many bytes of `input`
    // were used; the caller keeps the rest (an incomplete line) and calls
    // again with more data appended. Replies are appended to `out`.
    // Stops early on kCommit, kClose, kAuth, kStartTls and kDelay.
    Event feed(std::string_view input, size_t& consumed, std::string& out);

    // After kCommit: the message to store (moves it out).
    AcceptedMessage take_message();

    // Report the commit outcome: ok -> "250 2.0.0 Ok: queued as ID"; an
    // error -> "451 4.3.0 ..." (overload, write error), or "421 4.3.2" and
    // close when it means Condition::kShuttingDown, whichever layer's it is.
    // The transaction is reset either way.
    void committed(const Result<void>& result, std::string& out);
    // Instead of committed(): the message was refused after its data (a
    // message filter's verdict, e.g. "451 4.3.0 ..."); it is not spooled.
    // The transaction is reset, and the refusal counts as an error.
    void refused(uint16_t code, std::string_view enhanced, std::string_view text, std::string& out);

    // After kAuth: the credentials to check (moves them out).
    AuthRequest take_auth();
    // Reports the check: 235 and authenticated as `user` (kOk), 535 (and
    // 421 after max_auth_failures), or 454.
    void auth_done(auth::Status status, std::string_view user, std::string& out);

    // After kStartTls: the handshake succeeded. The session starts over as
    // RFC 3207 4.2 asks (EHLO again, no transaction, not authenticated) and
    // records the TLS parameters for the Received: header. No reply.
    void tls_started(std::string version, std::string cipher, int cipher_bits);

    // Server-side events.
    void timeout(std::string& out);    // 421 4.4.2 ... timeout, then close
    void shutdown(std::string& out);   // 421 4.3.2 ... shutting down, then close (nothing once closed)

    // How long to wait on Event::kDelay.
    std::chrono::milliseconds reply_delay() const;
    // True once the session ended with 421 at hard_error_limit.
    bool too_many_errors() const;

    // True between MAIL FROM and the end of the transaction (graceful shutdown waits for it).
    bool in_transaction() const;
    // True while reading message data (DATA or BDAT): the driver uses the data timeout.
    bool in_data() const;
    // Bytes of the message buffer now (the Received: header and the data
    // so far; 0 outside a message): what the driver reserves from the
    // in-flight budget (smtp::InflightBudget). Grows by no more than the
    // input fed, but for the Received: header when a message starts.
    uint64_t message_bytes() const;

    // Counters for the disconnect log line.
    struct Stats {
        uint32_t commands = 0;
        uint32_t bad_commands = 0;   // errors over the whole session (never forgiven)
        uint32_t delays = 0;         // replies held back by error_delay
        uint32_t messages = 0;
        uint32_t recipients = 0;
    };
    const Stats& stats() const;

private:
    struct Impl;
    Impl* impl_;
};

}  // namespace ringpost::smtp
