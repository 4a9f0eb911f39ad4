// The screening's pass cache (screen_cache.hpp).
#include "server/screen_cache.hpp"

#include <algorithm>

namespace ringpost::server {

ScreenCache::ScreenCache(Limits limits, Saver saver)
    : limits_(limits), saver_(std::move(saver)), table_(limits.max_entries) {}

bool ScreenCache::expired(const store::ScreenRecord& r, int64_t now_ms) {
    return r.dnsbl_until_ms <= now_ms && r.pregreet_until_ms <= now_ms;
}

void ScreenCache::save(std::vector<store::ScreenRecord> put, std::vector<std::string> removed) {
    if (saver_ && (!put.empty() || !removed.empty())) saver_(std::move(put), std::move(removed));
}

void ScreenCache::load(std::vector<store::ScreenRecord> records, int64_t now_ms) {
    // The least recent pass is the one dropped first for room.
    std::vector<std::string> removed = table_.load(
        std::move(records), [](const auto& r) -> const std::string& { return r.ip; },
        [](const auto& r) { return std::max(r.dnsbl_until_ms, r.pregreet_until_ms); },
        [&](const auto& r) { return expired(r, now_ms); });
    save({}, std::move(removed));
}

ScreenCache::Passes ScreenCache::lookup(const std::string& ip, int64_t now_ms) {
    Passes passes;
    std::vector<std::string> removed;
    const auto expiry = [&](const store::ScreenRecord& r) { return expired(r, now_ms); };
    const auto remove = [&](const std::string& name) { removed.push_back(name); };
    {
        Table::Locked shard = table_.lock(ip);
        shard.sweep(now_ms, expiry, remove);
        if (const store::ScreenRecord* r = shard.find(ip, expiry, remove)) {
            passes.dnsbl = r->dnsbl_until_ms > now_ms;
            passes.allowlisted = passes.dnsbl && r->allowlisted;
            passes.pregreet = r->pregreet_until_ms > now_ms;
        }
    }
    save({}, std::move(removed));
    return passes;
}

void ScreenCache::remember(const std::string& ip, Passes passed, int64_t now_ms) {
    passed.dnsbl = passed.dnsbl && limits_.dnsbl_ttl_ms > 0;
    passed.pregreet = passed.pregreet && limits_.pregreet_ttl_ms > 0;
    if (!passed.dnsbl && !passed.pregreet) return;
    std::vector<std::string> removed;
    const auto remove = [&](const std::string& name) { removed.push_back(name); };
    store::ScreenRecord r{ip, 0, 0, false};
    {
        Table::Locked shard = table_.lock(ip);
        // The other test's pass is kept as it is (an expired one stays in the past).
        const auto never = [](const store::ScreenRecord&) { return false; };
        if (const store::ScreenRecord* known = shard.find(ip, never, remove)) r = *known;
        if (passed.dnsbl) {
            r.dnsbl_until_ms = now_ms + limits_.dnsbl_ttl_ms;
            r.allowlisted = passed.allowlisted;
        }
        if (passed.pregreet) r.pregreet_until_ms = now_ms + limits_.pregreet_ttl_ms;
        shard.upsert(ip, r, remove);
    }
    save({r}, std::move(removed));
}

size_t ScreenCache::size() { return table_.size(); }

}  // namespace ringpost::server
