// A connection to one milter over the ring: TCP or a unix socket, the
// option negotiation, and one message's Exchange at a time, every read
// bounded by the command timeout and the whole message by the total one.
// A connection whose milter speaks version 6 is kept between messages
// (SMFIC_QUIT_NC ends the replayed SMTP connection, the next message's
// SMFIC_CONNECT starts another); older milters get one per message.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "io/socket.hpp"
#include "io/stream.hpp"
#include "io/task.hpp"
#include "milter/exchange.hpp"
#include "util/result.hpp"

namespace ringpost::milter {

// "127.0.0.1:11332", "[::1]:11332", "inet:127.0.0.1:11332" (Postfix's
// spelling) or "unix:/run/rspamd/milter.sock".
struct Endpoint {
    std::string text;
    io::SocketAddress address;
};
Result<Endpoint> parse_endpoint(std::string_view text);

struct Timeouts {
    std::chrono::milliseconds connect{10000};
    std::chrono::milliseconds command{30000};   // each reply, progress replies restart it
    std::chrono::milliseconds total{120000};    // one message, connecting included
};

using Clock = std::chrono::steady_clock;

class Connection {
public:
    // Connects and negotiates (SMFIC_OPTNEG), both within `deadline`.
    static io::Task<Result<std::unique_ptr<Connection>>> open(const Endpoint& endpoint, const Timeouts& timeouts,
                                                              Clock::time_point deadline);
    ~Connection();

    // One message; on success the connection may be reused (reusable()).
    io::Task<Result<Outcome>> run(const Transaction& t, const Timeouts& timeouts, Clock::time_point deadline);
    // Kept for another message: a version 6 milter, the last message ended cleanly.
    bool reusable() const { return reusable_; }
    Clock::time_point idle_since() const { return idle_since_; }
    // The milter has answered something on this connection since it was
    // taken from the idle set: a failure before that may be a connection
    // the milter closed while idle, worth one retry on a fresh one.
    bool answered() const { return answered_; }
    io::Task<void> close();

private:
    explicit Connection(std::unique_ptr<io::Stream> stream) : stream_(std::move(stream)) {}
    io::Task<Result<void>> negotiate(const Timeouts& timeouts, Clock::time_point deadline);
    io::Task<Result<void>> send(std::string& out, const Timeouts& timeouts, Clock::time_point deadline);
    io::Task<Result<Reply>> read_reply(const Timeouts& timeouts, Clock::time_point deadline);

    std::unique_ptr<io::Stream> stream_;
    std::string in_;
    uint32_t version_ = 0;
    uint32_t protocol_ = 0;
    bool reusable_ = false;
    bool answered_ = false;
    Clock::time_point idle_since_{};
};

}  // namespace ringpost::milter
