// The POP3 connection driver: runs one Session over one socket on the
// current ring, like smtp::serve_connection. It owns the input buffer and
// the output string, performs the session's backend events (login, opening
// and locking the maildrop, fetching a message, removing messages at QUIT),
// streams multi-line responses chunk by chunk, flushes responses only when
// the input is drained (what makes PIPELINING cheap), applies the RFC 1939
// autologout timer, and releases the maildrop lock on every way out:
// QUIT, timeout, disconnect, error and shutdown.
#pragma once

#include <chrono>

#include "io/live_set.hpp"
#include "io/task.hpp"
#include "pop3/backend.hpp"
#include "pop3/session.hpp"

namespace ringpost::pop3 {

struct Timeouts {
    // RFC 1939 3: the inactivity autologout timer is at least 10 minutes.
    // It restarts with every complete command and every response sent; a
    // client trickling bytes of one line cannot stretch it.
    std::chrono::milliseconds idle{600000};
    std::chrono::milliseconds send{300000};   // a client that stops reading
};

struct ConnectionContext {
    const SessionConfig& config;   // line limits above the driver's 4 KiB input buffer are lowered to it
    Backend& backend;
    Timeouts timeouts;
    io::LiveSet& live;             // graceful shutdown: idle sessions are cancelled, UPDATE finishes
};

// Serves the connection until QUIT, error, timeout or shutdown; closes `fd`.
// Create the task as a named local before awaiting it (g++ 12: no by-value
// aggregate temporaries inside a co_await expression).
io::Task<void> serve_connection(int fd, ClientInfo client, ConnectionContext ctx);

}  // namespace ringpost::pop3
