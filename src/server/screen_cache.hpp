// The screening's pass cache, as postscreen's postscreen_cache_map: a
// client address that passed the DNSBL check and/or the pregreet test is
// remembered, and on its connections within `dnsbl_ttl` / `pregreet_ttl`
// of the pass it skips that test (no lookups, no greet wait: with both
// remembered the greeting comes at once). Only passes are remembered: a
// listed client, an early talker's pregreet test (also under pregreet =
// "ignore", which postscreen tests again on the next connection too) and
// a check that did not complete (a zone that timed out or answered with
// an error code) leave no pass. A hit does not refresh the pass (as postscreen): the
// client is tested again when it runs out.
//
// Shared by all workers (util/sharded_lru.hpp: shards by address under
// their own mutexes, never held across I/O). Bounded: at most
// `max_entries` addresses, the least recently passed dropped first;
// entries whose passes have all expired go when looked up and when their
// shard is swept (at most once a minute per shard). Every change is handed
// to the Saver outside the locks; in the server that is the store
// (store/screen_records.hpp), which joins it to the next group commit
// unsynced, and load() fills the cache from it at startup, so passes
// survive a restart as postscreen's do. Times are unix milliseconds given
// by the caller (tests inject them).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/screen_records.hpp"
#include "util/sharded_lru.hpp"

namespace ringpost::server {

class ScreenCache {
public:
    static constexpr size_t kShards = util::ShardedLru<store::ScreenRecord>::kShards;
    static constexpr int64_t kSweepIntervalMs = util::ShardedLru<store::ScreenRecord>::kSweepIntervalMs;

    struct Limits {
        int64_t dnsbl_ttl_ms = 0;      // 0: DNSBL passes are not remembered
        int64_t pregreet_ttl_ms = 0;   // 0: pregreet passes are not remembered
        size_t max_entries = 100000;
    };
    using Saver = std::function<void(std::vector<store::ScreenRecord> put, std::vector<std::string> removed)>;

    ScreenCache(Limits limits, Saver saver);

    // Nothing would ever be remembered (both TTLs 0): the screener skips the cache.
    bool enabled() const { return limits_.dnsbl_ttl_ms > 0 || limits_.pregreet_ttl_ms > 0; }

    // Startup: the records as stored. Expired ones are not kept (and are
    // removed through the saver); past max_entries the least recent go.
    void load(std::vector<store::ScreenRecord> records, int64_t now_ms);

    // What `ip` passed that still holds at `now_ms`.
    struct Passes {
        bool dnsbl = false;
        bool allowlisted = false;   // with dnsbl: the lists allow-listed it (no pregreet test either)
        bool pregreet = false;
    };
    Passes lookup(const std::string& ip, int64_t now_ms);

    // `ip` passed the tests set in `passed` (the others keep what they had).
    void remember(const std::string& ip, Passes passed, int64_t now_ms);

    // Addresses in memory now.
    size_t size();

private:
    using Table = util::ShardedLru<store::ScreenRecord>;

    static bool expired(const store::ScreenRecord& r, int64_t now_ms);
    void save(std::vector<store::ScreenRecord> put, std::vector<std::string> removed);

    const Limits limits_;
    Saver saver_;
    Table table_;
};

}  // namespace ringpost::server
