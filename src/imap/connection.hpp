// The IMAP connection driver: runs one Session over one socket on the
// current ring. Input goes through a bounded CommandReader ("+ Ready for
// literal data" continuations for synchronizing literals), responses are
// flushed when the input is drained (pipelining), the autologout timer is
// applied (RFC 3501 5.4: at least 30 minutes), reader limits are tight
// until login, an IDLE wait is woken when the session's watch reports a
// change (and re-lists every `idle_recheck` as a safety net), long FETCH
// replies are flushed as the session produces them, and a graceful shutdown
// sends "* BYE".
#pragma once

#include <chrono>

#include "imap/backend.hpp"
#include "imap/command_reader.hpp"
#include "imap/session.hpp"
#include "io/live_set.hpp"
#include "io/task.hpp"

namespace ringpost::imap {

struct Timeouts {
    std::chrono::milliseconds idle{30 * 60 * 1000};   // autologout
    std::chrono::milliseconds send{300000};           // a client that stops reading
    std::chrono::milliseconds idle_recheck{30000};    // IDLE re-lists the mailbox at least this often
};

struct ConnectionContext {
    const SessionConfig& config;   // plaintext_allowed is also granted to loopback clients
    Backend& backend;
    Timeouts timeouts;
    io::LiveSet& live;
    ReaderLimits limits;
};

// Serves the connection until LOGOUT, error, timeout or shutdown; closes `fd`.
// Create the task as a named local before awaiting it (g++ 12).
io::Task<void> serve_connection(int fd, ClientInfo client, ConnectionContext ctx);

// "127.x.x.x", "::1", "::ffff:127.x.x.x".
bool is_loopback(std::string_view ip);

}  // namespace ringpost::imap
