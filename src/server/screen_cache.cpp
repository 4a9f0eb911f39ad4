// The screening's pass cache (screen_cache.hpp).
#include "server/screen_cache.hpp"

#include <algorithm>

namespace ringpost::server {

ScreenCache::ScreenCache(Limits limits, Saver saver)
    : limits_(limits), per_shard_(std::max<size_t>(1, limits.max_entries / kShards)), saver_(std::move(saver)) {}

ScreenCache::Shard& ScreenCache::shard_of(std::string_view ip) {
    return shards_[std::hash<std::string_view>{}(ip) % kShards];
}

bool ScreenCache::expired(const store::ScreenRecord& r, int64_t now_ms) {
    return r.dnsbl_until_ms <= now_ms && r.pregreet_until_ms <= now_ms;
}

void ScreenCache::drop(Shard& shard, std::unordered_map<std::string, Entry>::iterator it,
                       std::vector<std::string>& removed) {
    removed.push_back(it->first);
    shard.by_use.erase(it->second.use);
    shard.entries.erase(it);
}

void ScreenCache::sweep(Shard& shard, int64_t now_ms, std::vector<std::string>& removed) {
    if (now_ms < shard.next_sweep_ms) return;
    shard.next_sweep_ms = now_ms + kSweepIntervalMs;
    for (auto it = shard.entries.begin(); it != shard.entries.end();) {
        auto next = std::next(it);
        if (expired(it->second.record, now_ms)) drop(shard, it, removed);
        it = next;
    }
}

void ScreenCache::upsert(Shard& shard, const store::ScreenRecord& record, std::vector<std::string>& removed) {
    auto it = shard.entries.find(record.ip);
    if (it != shard.entries.end()) {
        it->second.record = record;
        shard.by_use.splice(shard.by_use.end(), shard.by_use, it->second.use);
        return;
    }
    while (shard.entries.size() >= per_shard_ && !shard.by_use.empty())
        drop(shard, shard.entries.find(shard.by_use.front()), removed);
    auto use = shard.by_use.insert(shard.by_use.end(), record.ip);
    shard.entries.emplace(record.ip, Entry{record, use});
}

void ScreenCache::save(std::vector<store::ScreenRecord> put, std::vector<std::string> removed) {
    if (saver_ && (!put.empty() || !removed.empty())) saver_(std::move(put), std::move(removed));
}

void ScreenCache::load(std::vector<store::ScreenRecord> records, int64_t now_ms) {
    // Oldest pass first, so that the least recent are dropped for room.
    const auto latest = [](const store::ScreenRecord& r) { return std::max(r.dnsbl_until_ms, r.pregreet_until_ms); };
    std::sort(records.begin(), records.end(), [&](const auto& a, const auto& b) { return latest(a) < latest(b); });
    std::vector<std::string> removed;
    for (auto& r : records) {
        if (expired(r, now_ms)) {
            removed.push_back(std::move(r.ip));
            continue;
        }
        Shard& shard = shard_of(r.ip);
        std::lock_guard lock(shard.mu);
        upsert(shard, r, removed);
    }
    save({}, std::move(removed));
}

ScreenCache::Passes ScreenCache::lookup(const std::string& ip, int64_t now_ms) {
    Passes passes;
    std::vector<std::string> removed;
    {
        Shard& shard = shard_of(ip);
        std::lock_guard lock(shard.mu);
        sweep(shard, now_ms, removed);
        auto it = shard.entries.find(ip);
        if (it != shard.entries.end() && expired(it->second.record, now_ms)) {
            drop(shard, it, removed);
        } else if (it != shard.entries.end()) {
            const store::ScreenRecord& r = it->second.record;
            passes.dnsbl = r.dnsbl_until_ms > now_ms;
            passes.allowlisted = passes.dnsbl && r.allowlisted;
            passes.pregreet = r.pregreet_until_ms > now_ms;
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
    store::ScreenRecord r{ip, 0, 0, false};
    {
        Shard& shard = shard_of(ip);
        std::lock_guard lock(shard.mu);
        if (auto it = shard.entries.find(ip); it != shard.entries.end()) r = it->second.record;
        if (passed.dnsbl) {
            r.dnsbl_until_ms = now_ms + limits_.dnsbl_ttl_ms;
            r.allowlisted = passed.allowlisted;
        }
        if (passed.pregreet) r.pregreet_until_ms = now_ms + limits_.pregreet_ttl_ms;
        upsert(shard, r, removed);
    }
    save({r}, std::move(removed));
}

size_t ScreenCache::size() {
    size_t n = 0;
    for (auto& shard : shards_) {
        std::lock_guard lock(shard.mu);
        n += shard.entries.size();
    }
    return n;
}

}  // namespace ringpost::server
