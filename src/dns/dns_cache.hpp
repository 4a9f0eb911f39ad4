// DnsCache: the answers of one resolver (one per ring thread, so no locks),
// keyed by (name, query type), each kept for its TTL: the minimum TTL of the
// answer, or for negative answers the SOA minimum / a configured default,
// and briefly (or not at all) for temporary failures. The clock is
// injectable for tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dns/dns_types.hpp"

namespace ringpost::dns {

class DnsCache {
public:
    using Clock = std::chrono::steady_clock;
    using Now = std::function<Clock::time_point()>;

    explicit DnsCache(Now now = {}, size_t capacity = 10000);

    // The live entry for (name, type), or nullptr. Valid until the next put().
    const RecordSet* get(std::string_view name, uint16_t type);
    // Store for `ttl`; a ttl <= 0 stores nothing. When full, expired
    // entries go first, then those closest to expiry.
    void put(std::string_view name, uint16_t type, RecordSet value, std::chrono::seconds ttl);

    size_t size() const { return entries_.size(); }
    void clear() { entries_.clear(); }

private:
    struct Entry {
        RecordSet value;
        Clock::time_point expires;
    };
    static std::string key(std::string_view name, uint16_t type);
    Clock::time_point now() const { return now_ ? now_() : Clock::now(); }
    void make_room(Clock::time_point now);

    Now now_;
    size_t capacity_;
    std::unordered_map<std::string, Entry> entries_;
};

}  // namespace ringpost::dns
