// The SMTP server session as a pure state machine (no sockets, no I/O):
// bytes in, replies out, and events that tell the driver (src/smtp/connection)
// when it must do something asynchronous (commit a message, close).
// This is what the unit tests drive directly.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "mail/envelope.hpp"

namespace ringpost::smtp {

struct Limits {
    uint64_t max_message_size = 26214400;   // SIZE, bytes of message data
    uint32_t max_recipients = 1000;
    uint32_t max_command_line = 2048;       // bytes incl. CRLF (Postfix line_length_limit)
    uint32_t max_data_line = 1000000;       // a DATA line longer than this fails the message (552 5.3.4)
    uint32_t max_bad_commands = 20;         // then 421 4.7.0 and hang up
    uint32_t max_messages_per_session = 0;  // 0 = unlimited
};

struct SessionConfig {
    std::string hostname = "localhost";
    Limits limits;
    bool advertise_chunking = true;
    bool advertise_dsn = true;
    bool advertise_smtputf8 = true;
    bool advertise_starttls = false;   // set by the TLS layer (issue 5)
};

struct ClientInfo {
    std::string ip;          // textual address of the peer
    uint16_t port = 0;
    bool tls = false;        // connection is encrypted
    bool authenticated = false;
    bool relay_allowed = false;  // client is in relay_networks (decided once at connect)
};

enum class RcptVerdict {
    kAcceptLocal,     // local domain, user exists
    kAcceptRelay,     // remote domain, client may relay
    kUnknownUser,     // 550 5.1.1
    kRelayDenied,     // 554 5.7.1
    kTempFail,        // 451 4.3.0 (store unavailable)
};

// What the session needs from the outside world; implemented in src/app.
class Policy {
public:
    virtual ~Policy() = default;
    virtual RcptVerdict check_recipient(std::string_view address, const ClientInfo& client) = 0;
    // A fresh, unique, sortable queue ID (16 upper-case hex digits).
    virtual std::string new_queue_id() = 0;
    // Unix time in seconds (injectable for tests).
    virtual int64_t now() = 0;
};

enum class Event {
    kNeedInput,   // all input consumed: flush output, read more
    kCommit,      // a complete message is ready: take_message(), commit, then committed()
    kClose,       // flush output and close the connection (QUIT, 421)
};

// A complete message ready for the spool.
struct AcceptedMessage {
    mail::Envelope envelope;   // queue_id set; recipients classified local/remote
    std::string data;          // Received: header + message, CRLF line ends, unstuffed
};

class Session {
public:
    Session(const SessionConfig& config, Policy& policy, ClientInfo client);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // The 220 greeting.
    void greet(std::string& out);

    // Consume input bytes. `consumed` is set to how many bytes of `input`
    // were used; the caller keeps the rest (an incomplete line) and calls
    // again with more data appended. Replies are appended to `out`.
    // Stops early on kCommit and kClose.
    Event feed(std::string_view input, size_t& consumed, std::string& out);

    // After kCommit: the message to store (moves it out).
    AcceptedMessage take_message();

    // Report the commit outcome: ok -> "250 2.0.0 Ok: queued as ID",
    // error -> "451 4.3.0 ..." and the transaction is reset either way.
    void committed(bool ok, std::string& out);

    // Server-side events.
    void timeout(std::string& out);    // 421 4.4.2 ... timeout, then close
    void shutdown(std::string& out);   // 421 4.3.2 ... shutting down, then close

    // True between MAIL FROM and the end of the transaction (graceful shutdown waits for it).
    bool in_transaction() const;
    // True while reading message data (DATA or BDAT): the driver uses the data timeout.
    bool in_data() const;

    // Counters for the disconnect log line.
    struct Stats {
        uint32_t commands = 0;
        uint32_t bad_commands = 0;
        uint32_t messages = 0;
        uint32_t recipients = 0;
    };
    const Stats& stats() const;

private:
    struct Impl;
    Impl* impl_;
};

}  // namespace ringpost::smtp
