// The retry schedule of deferred deliveries and the queue lifetime.
//
// A schedule is a list of delays, e.g. "5m, 10m, 20m, 40m, 1h": after the
// first failed attempt wait 5 minutes, after the second 10, ... and after the
// fifth and every later one an hour (the last delay repeats). Each delay gets
// +-10% jitter so that messages deferred together (a destination that was
// down) do not all come back in the same second. Pure functions over unix
// seconds, the unit the envelope stores; the RNG is injectable for tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.hpp"

namespace ringpost::delivery {

// Returns a value uniformly distributed in [0, 1). Values outside that range
// are clamped, so a broken source can never push a delay beyond +-10%.
using JitterSource = std::function<double()>;

// A per-thread Mersenne Twister seeded from std::random_device.
JitterSource default_jitter_source();

class RetrySchedule {
public:
    // The default: 5m, 10m, 20m, 40m, 1h (then hourly).
    RetrySchedule();

    // "5m,10m,20m" (commas and/or blanks between items) or one item per
    // element. Every item must be a positive duration (util::parse_duration);
    // the error names the item: "retry schedule: item 2: bad duration \"10x\": ...".
    static Result<RetrySchedule> parse(std::string_view list);
    static Result<RetrySchedule> parse(const std::vector<std::string>& items);

    // The delay after the attempts-th failed attempt (1-based), without jitter.
    // 0 is treated as 1.
    std::chrono::seconds delay(uint32_t attempts) const;

    // When to try again after `attempts` failed attempts: now + delay +-10%
    // (at least one second later). With attempts == 0 nothing has been tried
    // yet, so the answer is `now`.
    int64_t next_attempt(uint32_t attempts, int64_t now, const JitterSource& jitter) const;

    const std::vector<std::chrono::seconds>& delays() const { return delays_; }

private:
    explicit RetrySchedule(std::vector<std::chrono::seconds> delays) : delays_(std::move(delays)) {}
    std::vector<std::chrono::seconds> delays_;
};

// Postfix's maximal_queue_lifetime default.
inline constexpr std::chrono::seconds kDefaultMaxQueueLifetime{5 * 86400};

// True once a message received at `received_at` has been queued for
// max_queue_lifetime or longer: its remaining recipients then fail (bounce)
// instead of being retried.
bool expired(int64_t received_at, int64_t now, std::chrono::seconds max_queue_lifetime);

// The time after which retries stop: the "Will-Retry-Until" of a delay DSN.
int64_t retry_until(int64_t received_at, std::chrono::seconds max_queue_lifetime);

}  // namespace ringpost::delivery
