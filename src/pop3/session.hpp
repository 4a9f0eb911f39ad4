// The POP3 server session as a pure state machine (no sockets, no I/O):
// RFC 1939 with CAPA and response codes (RFC 2449, 3206), AUTH PLAIN with
// an initial response or a continuation (RFC 5034), and the STLS hook
// (RFC 2595). Bytes in, responses out, and events that tell the driver
// (src/pop3/connection) when it must ask the backend for something:
//
//   AUTHORIZATION --USER/PASS, AUTH--> kAuthenticate --ok--> kOpenMaildrop
//   --ok--> TRANSACTION --RETR/TOP--> kFetch ... --QUIT--> kUpdate --> kClose
//
// Multi-line responses (RETR, TOP, LIST, UIDL) are produced in chunks of
// about Limits::output_chunk bytes: feed() returns kFlush when one is ready,
// so a large message is never copied whole into the output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auth/outcome.hpp"
#include "pop3/maildrop.hpp"
#include "util/result.hpp"

namespace ringpost::pop3 {

struct Limits {
    // Bytes incl. CRLF. RFC 2449 4 makes 255 the least a server must take;
    // longer lines get -ERR and are skipped.
    uint32_t max_command_line = 512;
    // A SASL response line after "+ " (RFC 5034 4: not bound by the
    // command limit; PLAIN with long names and passwords needs ~700).
    uint32_t max_auth_line = 2048;
    uint32_t max_bad_commands = 10;    // then -ERR and hang up
    uint32_t max_auth_failures = 3;    // failed PASS/AUTH, then hang up
    size_t output_chunk = 64 * 1024;   // multi-line responses go out in chunks of this size
};

struct SessionConfig {
    Limits limits;
    // The STLS hook (RFC 2595): the driver can upgrade this connection to
    // TLS. STLS is announced and accepted only when set, and only before
    // TLS and before login. The driver sets it when it has a TLS context.
    bool tls_available = false;
    // Plain-text passwords (USER/PASS, AUTH PLAIN) without TLS. Over TLS
    // they are always allowed; the driver grants this to loopback clients.
    // Otherwise USER and SASL PLAIN are not announced and are refused with
    // "-ERR [AUTH]" before any password is sent (RFC 2595 2, RFC 2449 6.8).
    bool plaintext_allowed = false;
};

struct ClientInfo {
    std::string ip;     // textual address of the peer
    uint16_t port = 0;
    bool tls = false;   // the connection is encrypted
};

enum class Event {
    kNeedInput,      // all input consumed: flush output, read more
    kFlush,          // a chunk of a multi-line response is ready: send it, then feed() again
    kAuthenticate,   // credentials(): check them, then auth_done()
    kOpenMaildrop,   // open and lock user()'s maildrop, then maildrop_opened()
    kFetch,          // fetch_uid(): read the message, then fetched()
    kUpdate,         // QUIT: remove deletions() from the store, then updated()
    kStartTls,       // "+OK" to STLS is in the output: send it, discard unread input,
                     // do the TLS handshake, then tls_started() (or close on failure)
    kClose,          // flush output and close the connection
};

class Session {
public:
    Session(const SessionConfig& config, ClientInfo client);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // "+OK ringpost POP3 server ready".
    void greet(std::string& out);

    // Consume input: every complete line, in order (pipelining, RFC 2449 6.6).
    // `consumed` is set to how many bytes of `input` were used; the caller
    // keeps the rest (an incomplete line) and calls again with more data
    // appended. Responses are appended to `out`. Returns early with any
    // event but kNeedInput; after a backend event, call its completion
    // below before feeding again (until then feed() repeats the event).
    Event feed(std::string_view input, size_t& consumed, std::string& out);

    // kAuthenticate: the name and password to check (the password is moved out).
    struct Credentials {
        std::string user;
        std::string password;
    };
    Credentials credentials();
    void auth_done(const auth::Outcome& result, std::string& out);

    // kOpenMaildrop: the maildrop to open (the canonical name after login).
    const std::string& user() const;
    void maildrop_opened(Result<std::vector<MaildropEntry>> maildrop, std::string& out);

    // kFetch: the UID of the message RETR or TOP wants.
    const std::string& fetch_uid() const;
    // The whole message (moved in); its response is streamed by feed().
    void fetched(Result<std::string> message, std::string& out);

    // kUpdate: the UIDs marked by DELE.
    std::vector<std::string> deletions() const;
    void updated(const Result<void>& result, std::string& out);

    // kStartTls: the handshake succeeded; the session starts over in the
    // AUTHORIZATION state (RFC 2595 4: the client forgets what it knew).
    void tls_started();

    // Server-side events; no deletions happen (RFC 1939 3: only QUIT enters UPDATE).
    void timeout(std::string& out);    // close without a response (RFC 1939 3 autologout)
    void shutdown(std::string& out);   // "-ERR [SYS/TEMP] shutting down", then close

    // The maildrop is open (and locked) from maildrop_opened(ok) on.
    bool in_transaction() const;
    // QUIT is applying deletions: graceful shutdown lets it finish.
    bool in_update() const;

    // Counters for the disconnect log line.
    struct Stats {
        uint32_t commands = 0;
        uint32_t bad_commands = 0;
        uint32_t auth_failures = 0;
        uint32_t retrieved = 0;    // RETR and TOP answered with +OK
        uint32_t deleted = 0;      // removed at QUIT
    };
    const Stats& stats() const;

private:
    struct Impl;
    Impl* impl_;
};

}  // namespace ringpost::pop3
