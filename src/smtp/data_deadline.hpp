// The deadline of a DATA or BDAT transfer, as Postfix's smtpd_min_data_rate
// keeps it: the transfer starts with `limit` (data_timeout) in hand; each
// read spends the time it waited and earns n / min_rate seconds for its n
// bytes, never more than `limit` in hand. A client that keeps sending at
// min_rate or faster never runs out; one that trickles a byte now and then
// (which used to start the data timeout anew with every read) runs out
// after about `limit`, and the whole transfer is bounded by
// limit + size / min_rate. min_rate 0: every read starts `limit` anew.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace ringpost::smtp {

class DataDeadline {
public:
    using Clock = std::chrono::steady_clock;

    DataDeadline(std::chrono::milliseconds limit, uint32_t min_rate) : limit_(limit), min_rate_(min_rate) {}

    // A DATA or BDAT transfer begins.
    void start(Clock::time_point now) { deadline_ = now + limit_; }

    // `n` bytes of it arrived at `now`.
    void received(Clock::time_point now, size_t n);

    // The server held the transfer for `d` without reading (backpressure
    // of the in-flight budget): that time is not the client's, the
    // deadline moves by it.
    void paused(Clock::duration d) { deadline_ += d; }

    // How long the next read may wait (0 once the deadline has passed).
    std::chrono::milliseconds remaining(Clock::time_point now) const;

private:
    std::chrono::milliseconds limit_;
    uint32_t min_rate_;
    Clock::time_point deadline_{};
};

}  // namespace ringpost::smtp
