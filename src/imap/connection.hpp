// The IMAP connection driver: runs one Session over one socket on the
// current ring. Input goes through a bounded CommandReader ("+ Ready for
// literal data" continuations for synchronizing literals), responses are
// flushed when the input is drained (pipelining), the autologout timer is
// applied (RFC 3501 5.4: at least 30 minutes), reader limits are tight
// until login, an IDLE wait is woken when the session's watch reports a
// change (and re-lists every `idle_recheck` as a safety net), long FETCH
// replies are flushed as the session produces them, and a graceful shutdown
// sends "* BYE".
//
// The connection is an io::Stream: plain TCP, or TLS (implicit on imaps,
// RFC 8314, or after STARTTLS, RFC 3501 6.2.1 / RFC 2595). On STARTTLS the
// tagged OK goes out in clear, every byte already read past the command is
// discarded, never processed (CVE-2011-0411), the plain stream is swapped
// for a TlsStream on the same socket and the handshake runs within
// Timeouts::tls_handshake; a failed handshake is logged and the connection
// closed. Plain-text passwords are allowed to loopback clients and over TLS.
#pragma once

#include <chrono>

#include "imap/backend.hpp"
#include "imap/command_reader.hpp"
#include "imap/session.hpp"
#include "io/live_set.hpp"
#include "io/task.hpp"
#include "tls/context_holder.hpp"

namespace ringpost::imap {

struct Timeouts {
    std::chrono::milliseconds idle{30 * 60 * 1000};   // autologout
    std::chrono::milliseconds send{300000};           // a client that stops reading
    std::chrono::milliseconds idle_recheck{30000};    // IDLE re-lists the mailbox at least this often
    std::chrono::milliseconds tls_handshake{30000};   // STARTTLS or imaps: the whole handshake
};

struct ConnectionContext {
    // plaintext_allowed is also granted to loopback clients; starttls
    // follows `tls` below.
    const SessionConfig& config;
    Backend& backend;
    Timeouts timeouts;
    io::LiveSet& live;
    ReaderLimits limits;
    // TLS (src/tls): the listeners' current server context, or null when
    // TLS is off; implicit_tls: the handshake comes first (pop3s/imaps/smtps),
    // otherwise STARTTLS/STLS upgrades when the client asks.
    tls::ContextHolder* tls = nullptr;
    bool implicit_tls = false;
};

// Serves the connection until LOGOUT, error, timeout or shutdown; closes `fd`.
// Create the task as a named local before awaiting it (g++ 12).
io::Task<void> serve_connection(int fd, ClientInfo client, ConnectionContext ctx);


}  // namespace ringpost::imap
