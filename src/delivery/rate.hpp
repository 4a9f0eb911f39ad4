// Rates for traffic shaping ("300/min", "20/s", "5000/h", "10/30s") and the
// pacer that enforces one: the generic cell rate algorithm (GCRA, the
// "virtual scheduling" form of ATM's leaky bucket, which KumoMTA's
// throttles use too). N per period means one every period/N, spread
// evenly: in any window of length W at most 1 + W*N/period pass, so a
// provider that counts per minute never sees a burst. Pure arithmetic on
// the caller's clock; the delivery ring awaits the waits it returns.
//
// A pass may come up to kTolerance early: the ring's timers have
// millisecond resolution, so at high rates (20,000/s is one per 50 µs) two
// connections asking within one interval would otherwise each sleep a
// whole millisecond. The bound becomes 1 + (W + kTolerance) * rate.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace ringpost::delivery {

struct Rate {
    uint64_t count = 0;                   // 0 = no limit
    std::chrono::milliseconds period{0};

    bool unlimited() const { return count == 0; }
    // The spacing between two passes.
    std::chrono::nanoseconds interval() const;
    bool operator==(const Rate&) const = default;
};

// "" or "unlimited" -> no limit; "N/s", "N/sec", "N/m", "N/min", "N/h",
// "N/hour", "N/d", "N/day", or N over a duration ("10/30s", "100/5m").
// N from 1 to 10^9.
Result<Rate> parse_rate(std::string_view text);
std::string rate_to_string(const Rate& rate);   // "" for no limit, else "N/s", "N/min", ...

class Pacer {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr Clock::duration kTolerance = std::chrono::milliseconds(1);
    explicit Pacer(Rate rate = {}) : interval_(rate.unlimited() ? Clock::duration::zero() : rate.interval()) {}

    // Takes a pass at `now` if one is due and returns zero; otherwise
    // returns how long to wait for the next one (nothing is taken).
    Clock::duration take(Clock::time_point now);
    // How long take() would make the caller wait at `now`.
    Clock::duration wait(Clock::time_point now) const;
    // The pace changes from now on (shaping automation scales it).
    void set_rate(Rate rate);
    bool unlimited() const { return interval_ == Clock::duration::zero(); }

private:
    Clock::duration interval_;
    Clock::time_point next_{};   // the theoretical arrival time of the next pass
};

}  // namespace ringpost::delivery
