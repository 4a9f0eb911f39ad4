// The SMTP connection driver: runs one Session over one connection on the
// current ring, a loop over the session's events on a proto::Connection
// (which owns the stream: plain TCP, swapped for TLS by STARTTLS or from
// the start on smtps; the input buffer and the output string). It applies
// timeouts (a command deadline that a slowloris cannot stretch by
// trickling bytes, and the data-block timeout of RFC 5321 4.5.3.2), flushes
// replies only when the input is drained (what makes PIPELINING cheap),
// awaits the message filter (DKIM signing) and then the spool's group
// commit before the 250, and the authenticator
// before the 235/535, holds replies back on a timer for a client past
// the soft error limit (Event::kDelay), and stops reading message data while
// the in-flight budget is spent (backpressure, smtp::InflightBudget).
#pragma once

#include <chrono>
#include <functional>

#include "io/live_set.hpp"
#include "io/task.hpp"
#include "smtp/authenticator.hpp"
#include "smtp/inflight_budget.hpp"
#include "smtp/message_filter.hpp"
#include "smtp/session.hpp"
#include "tls/context_holder.hpp"

namespace ringpost::smtp {

// Where accepted messages go; implemented by the application over the
// store's commit stage. `done` may be called on any thread, exactly once,
// with the commit's result (see Session::committed for the replies).
class Spool {
public:
    virtual ~Spool() = default;
    virtual void commit(AcceptedMessage message, std::function<void(const Result<void>&)> done) = 0;
};

struct Timeouts {
    std::chrono::milliseconds command{300000};   // whole command line, RFC 5321 4.5.3.2.7
    std::chrono::milliseconds data{180000};      // between data blocks, 4.5.3.2.5
    // Bytes/s a DATA/BDAT transfer must keep up (smtp::DataDeadline), as
    // Postfix's smtpd_min_data_rate; 0 = `data` anew on every read.
    uint32_t min_data_rate = 500;
    std::chrono::milliseconds send{300000};      // a client that stops reading
    // The TLS handshake (STARTTLS, smtps), capped by `command`. Shorter than
    // a command: it cannot be cut by a shutdown, so it bounds the drain.
    std::chrono::milliseconds handshake{60000};
};

struct ConnectionContext {
    // Shared by the listeners; the driver sets the per-connection fields
    // (advertise_starttls, auth_available, submission) from the ones below.
    const SessionConfig& config;
    Policy& policy;
    Spool& spool;
    Timeouts timeouts;
    io::LiveSet& live;
    // TLS (src/tls): the listeners' current server context, or null when
    // TLS is off; implicit_tls: the handshake comes first (pop3s/imaps/smtps),
    // otherwise STARTTLS/STLS upgrades when the client asks.
    tls::ContextHolder* tls = nullptr;
    bool implicit_tls = false;
    // A submission listener (RFC 6409): AUTH before MAIL.
    bool submission = false;
    // Password checks for AUTH; null = AUTH not offered.
    Authenticator* auth = nullptr;
    // The process-wide budget of message bytes held in memory; null = none.
    InflightBudget* inflight = nullptr;
    // Runs on each message before its commit (DKIM signing); null = none.
    MessageFilter* filter = nullptr;
};

// Serves the connection until QUIT, error, timeout or shutdown; owns and closes `fd`.
io::Task<void> serve_connection(int fd, ClientInfo client, ConnectionContext ctx);

}  // namespace ringpost::smtp
