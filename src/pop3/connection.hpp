// The POP3 connection driver: runs one Session over one connection's
// io::Stream (plain TCP, or TLS: implicit on pop3s, or after STLS, RFC 2595)
// on the current ring, like smtp::serve_connection. It owns the input buffer and
// the output string, performs the session's backend events (login, opening
// and locking the maildrop, fetching a message, removing messages at QUIT),
// streams multi-line responses chunk by chunk, flushes responses only when
// the input is drained (what makes PIPELINING cheap), applies the RFC 1939
// autologout timer, and releases the maildrop lock on every way out:
// QUIT, timeout, disconnect, error and shutdown.
//
// STLS: after "+OK begin TLS negotiation" is sent, every byte already read
// past the STLS line is discarded, never processed (CVE-2011-0411: it came
// in clear), the plain stream is swapped for a TlsStream on the same socket
// and the handshake runs within Timeouts::tls_handshake; a failed handshake
// is logged and the connection closed (never back to plain text). Plain-text
// passwords are allowed to loopback clients and over TLS.
#pragma once

#include <chrono>

#include "io/live_set.hpp"
#include "io/task.hpp"
#include "tls/context_holder.hpp"
#include "pop3/backend.hpp"
#include "pop3/session.hpp"

namespace ringpost::pop3 {

struct Timeouts {
    // RFC 1939 3: the inactivity autologout timer is at least 10 minutes.
    // It restarts with every complete command and every response sent; a
    // client trickling bytes of one line cannot stretch it.
    std::chrono::milliseconds idle{600000};
    std::chrono::milliseconds send{300000};   // a client that stops reading
    std::chrono::milliseconds tls_handshake{30000};   // STLS or pop3s: the whole handshake
};

struct ConnectionContext {
    // Line limits above the driver's 4 KiB input buffer are lowered to it;
    // tls_available follows `tls` below; plaintext_allowed is also granted
    // to loopback clients.
    const SessionConfig& config;
    Backend& backend;
    Timeouts timeouts;
    io::LiveSet& live;             // graceful shutdown: idle sessions are cancelled, UPDATE finishes
    // TLS (src/tls): the listeners' current server context, or null when
    // TLS is off; implicit_tls: the handshake comes first (pop3s/imaps/smtps),
    // otherwise STARTTLS/STLS upgrades when the client asks.
    tls::ContextHolder* tls = nullptr;
    bool implicit_tls = false;
};

// Serves the connection until QUIT, error, timeout or shutdown; closes `fd`.
// Create the task as a named local before awaiting it (g++ 12: no by-value
// aggregate temporaries inside a co_await expression).
io::Task<void> serve_connection(int fd, ClientInfo client, ConnectionContext ctx);

}  // namespace ringpost::pop3
