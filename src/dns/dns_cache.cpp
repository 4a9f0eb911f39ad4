// DnsCache: TTL-bounded answers per (name, type); see dns_cache.hpp.
#include "dns/dns_cache.hpp"

#include <algorithm>

namespace ringpost::dns {

DnsCache::DnsCache(Now now, size_t capacity) : now_(std::move(now)), capacity_(std::max<size_t>(capacity, 1)) {}

std::string DnsCache::key(std::string_view name, uint16_t type) {
    std::string k;
    k.reserve(name.size() + 6);
    k.append(name);
    k.push_back('\0');
    k.append(std::to_string(type));
    return k;
}

const RecordSet* DnsCache::get(std::string_view name, uint16_t type) {
    auto it = entries_.find(key(name, type));
    if (it == entries_.end()) return nullptr;
    if (it->second.expires <= now()) {
        entries_.erase(it);
        return nullptr;
    }
    return &it->second.value;
}

void DnsCache::put(std::string_view name, uint16_t type, RecordSet value, std::chrono::seconds ttl) {
    if (ttl.count() <= 0) return;
    Clock::time_point t = now();
    std::string k = key(name, type);
    if (entries_.size() >= capacity_ && !entries_.contains(k)) make_room(t);
    entries_.insert_or_assign(std::move(k), Entry{std::move(value), t + ttl});
}

void DnsCache::make_room(Clock::time_point now) {
    std::erase_if(entries_, [now](const auto& kv) { return kv.second.expires <= now; });
    while (entries_.size() >= capacity_) {
        auto oldest = std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
            return a.second.expires < b.second.expires;
        });
        entries_.erase(oldest);
    }
}

}  // namespace ringpost::dns
