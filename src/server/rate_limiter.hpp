// Per-client-address event rates shared by all workers, as Postfix's anvil
// counts them for smtpd_client_connection_rate_limit and
// smtpd_client_message_rate_limit: each address's events in a window of
// `window` (anvil_rate_time_unit, 60 s) that starts at its first event
// after the last window ended; past `limit` events in the window the event
// is refused (and still counted, as anvil does, so a client hammering at
// the door stays shut out until it pauses for a window).
//
// Cheap under contention: the table is split into shards by address hash,
// each under its own mutex, touched once per connection or MAIL FROM.
// Bounded memory: at most `max_tracked` addresses. An address whose window
// has ended is idle and is dropped when a shard needs the room; when a
// shard is full of live windows (a flood from that many addresses at once)
// a new address is let through untracked (kUntracked) rather than evicting
// one that is being counted, and no shard scans for room more than once
// per expiry of its oldest window.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "server/ip_key.hpp"

namespace ringpost::server {

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr size_t kShards = 16;
    static constexpr size_t kDefaultMaxTracked = 65536;

    // `limit` events per `window` (0 = no limit: hit() always says kOk and
    // keeps nothing); `clock` for tests (default: steady_clock::now).
    RateLimiter(uint32_t limit, std::chrono::seconds window = std::chrono::seconds(60),
                size_t max_tracked = kDefaultMaxTracked, std::function<Clock::time_point()> clock = {});

    enum class Verdict { kOk, kOverLimit, kUntracked };
    // Counts one event of the address.
    Verdict hit(const uint8_t ip16[16]);
    // The address's events in its current window (0 when none or ended).
    uint32_t count(const uint8_t ip16[16]);
    // Addresses in the table now (idle ones not yet dropped included).
    size_t tracked();
    bool unlimited() const { return limit_ == 0; }
    uint32_t limit() const { return limit_; }

private:
    struct Entry {
        Clock::time_point start;
        uint32_t count = 0;
    };
    struct Shard {
        std::mutex mu;
        std::unordered_map<IpKey, Entry, IpKeyHash> entries;
        Clock::time_point next_sweep{};   // no entry can have expired before this
    };
    // The hash's low bits are the same for every IPv4 address (v4-mapped:
    // the address is in the high half); mixed first (MurmurHash3's finalizer).
    Shard& shard_of(const IpKey& key) {
        uint64_t h = IpKeyHash{}(key);
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ull;
        h ^= h >> 33;
        return shards_[h % kShards];
    }
    // Drops the shard's ended windows if one may have ended; true if there is room.
    bool make_room(Shard& shard, Clock::time_point now);
    bool ended(const Entry& e, Clock::time_point now) const { return now - e.start >= window_; }

    uint32_t limit_;
    Clock::duration window_;
    size_t per_shard_;
    std::function<Clock::time_point()> clock_;
    std::array<Shard, kShards> shards_;
};

}  // namespace ringpost::server
