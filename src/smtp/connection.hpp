// The SMTP connection driver: runs one Session over one socket on the
// current ring. It owns the input buffer and the output string, applies
// timeouts (a command deadline that a slowloris cannot stretch by trickling
// bytes, and the data-block timeout of RFC 5321 4.5.3.2), flushes replies
// only when the input is drained (what makes PIPELINING cheap), and awaits
// the spool's group commit before the 250.
#pragma once

#include <chrono>
#include <functional>

#include "io/live_set.hpp"
#include "io/task.hpp"
#include "smtp/session.hpp"

namespace ringpost::smtp {

// Where accepted messages go; implemented by the application over the
// store's commit stage. `done` may be called on any thread, exactly once.
class Spool {
public:
    virtual ~Spool() = default;
    virtual void commit(AcceptedMessage message, std::function<void(bool ok)> done) = 0;
};

struct Timeouts {
    std::chrono::milliseconds command{300000};   // whole command line, RFC 5321 4.5.3.2.7
    std::chrono::milliseconds data{180000};      // between data blocks, 4.5.3.2.5
    std::chrono::milliseconds send{300000};      // a client that stops reading
};

struct ConnectionContext {
    const SessionConfig& config;
    Policy& policy;
    Spool& spool;
    Timeouts timeouts;
    io::LiveSet& live;
};

// Serves the connection until QUIT, error, timeout or shutdown; closes `fd`.
io::Task<void> serve_connection(int fd, ClientInfo client, ConnectionContext ctx);

}  // namespace ringpost::smtp
