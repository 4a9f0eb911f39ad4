// At most one log line per interval for a kind of event, process-wide, with
// how many were left out: for events that strike many sessions or listeners
// at once (accept_backoff on EMFILE, inflight_wait when the budget is spent),
// where one line per occurrence would flood the log. Lock-free: any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace ringpost::log {

class RateLimit {
public:
    explicit constexpr RateLimit(std::chrono::milliseconds interval) : interval_ms_(interval.count()) {}

    // True: log now; `suppressed` is how many were refused since the last
    // line. False: leave this one out (it is counted).
    bool allow(uint64_t& suppressed) {
        const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now().time_since_epoch()).count();
        int64_t due = next_ms_.load(std::memory_order_relaxed);
        if (now < due || !next_ms_.compare_exchange_strong(due, now + interval_ms_, std::memory_order_relaxed)) {
            suppressed_.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
        suppressed = suppressed_.exchange(0, std::memory_order_relaxed);
        return true;
    }

private:
    const int64_t interval_ms_;
    std::atomic<int64_t> next_ms_{0};
    std::atomic<uint64_t> suppressed_{0};
};

}  // namespace ringpost::log
