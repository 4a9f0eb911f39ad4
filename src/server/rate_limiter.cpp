#include "server/rate_limiter.hpp"

#include <algorithm>

namespace ringpost::server {

RateLimiter::RateLimiter(uint32_t limit, std::chrono::seconds window, size_t max_tracked,
                         std::function<Clock::time_point()> clock)
    : limit_(limit),
      window_(window),
      per_shard_(std::max<size_t>(1, max_tracked / kShards)),
      clock_(clock ? std::move(clock) : [] { return Clock::now(); }) {}

bool RateLimiter::make_room(Shard& shard, Clock::time_point now) {
    if (shard.entries.size() < per_shard_) return true;
    if (now < shard.next_sweep) return false;
    Clock::time_point oldest = now;
    for (auto it = shard.entries.begin(); it != shard.entries.end();) {
        if (ended(it->second, now)) {
            it = shard.entries.erase(it);
            continue;
        }
        oldest = std::min(oldest, it->second.start);
        ++it;
    }
    shard.next_sweep = oldest + window_;
    return shard.entries.size() < per_shard_;
}

RateLimiter::Verdict RateLimiter::hit(const uint8_t ip16[16]) {
    if (limit_ == 0) return Verdict::kOk;
    const IpKey key = ip_key(ip16);
    Shard& shard = shard_of(key);
    const Clock::time_point now = clock_();
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.entries.find(key);
    if (it == shard.entries.end()) {
        if (!make_room(shard, now)) return Verdict::kUntracked;
        it = shard.entries.emplace(key, Entry{now, 0}).first;
    } else if (ended(it->second, now)) {
        it->second = Entry{now, 0};
    }
    Entry& e = it->second;
    if (e.count < UINT32_MAX) ++e.count;
    return e.count > limit_ ? Verdict::kOverLimit : Verdict::kOk;
}

uint32_t RateLimiter::count(const uint8_t ip16[16]) {
    const IpKey key = ip_key(ip16);
    Shard& shard = shard_of(key);
    const Clock::time_point now = clock_();
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.entries.find(key);
    return it == shard.entries.end() || ended(it->second, now) ? 0 : it->second.count;
}

size_t RateLimiter::tracked() {
    size_t n = 0;
    for (Shard& shard : shards_) {
        std::lock_guard<std::mutex> lock(shard.mu);
        n += shard.entries.size();
    }
    return n;
}

}  // namespace ringpost::server
