// A bounded table of named records shared by all ring threads: split into
// shards by name, each under its own mutex held for a hash lookup and never
// across I/O, so a lookup is cheap on a ring thread. At most `max_entries`
// records (spread over the shards), the least recently used dropped first.
// Expiry is the caller's (a predicate per call): expired records go when
// looked up and when their shard is swept, at most once a minute per shard.
// Every record that goes is named to a `removed(const std::string&)`
// callback, so that the caller can delete it where it keeps records too.
//
// Greylisting's triplets (server/greylist.hpp) and the screening's pass
// cache (server/screen_cache.hpp) are both this table with their own
// records and rules.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ringpost::util {

template <class Record>
class ShardedLru {
    struct Entry {
        Record record;
        std::list<std::string>::iterator use;   // its place in Shard::by_use
    };
    struct Shard {
        std::mutex mu;
        std::unordered_map<std::string, Entry> entries;
        std::list<std::string> by_use;   // least recently used first
        int64_t next_sweep_ms = 0;
    };

public:
    static constexpr size_t kShards = 16;
    static constexpr int64_t kSweepIntervalMs = 60 * 1000;

    explicit ShardedLru(size_t max_entries) : per_shard_(std::max<size_t>(1, max_entries / kShards)) {}
    ShardedLru(const ShardedLru&) = delete;
    ShardedLru& operator=(const ShardedLru&) = delete;

    // The shard of one name, locked while this lives: every access to a
    // record goes through one. Hold one at a time (no lock order to keep).
    class Locked {
    public:
        // The live record named `name`, or null; one `expired(record)` says
        // is expired is removed.
        template <class Expired, class Removed>
        Record* find(const std::string& name, Expired&& expired, Removed&& removed) {
            auto it = shard_.entries.find(name);
            if (it == shard_.entries.end()) return nullptr;
            if (!expired(it->second.record)) return &it->second.record;
            drop(it, removed);
            return nullptr;
        }

        // Stores `record` under `name` as the most recently used, dropping
        // the least recently used while the shard is full.
        template <class Removed>
        void upsert(const std::string& name, const Record& record, Removed&& removed) {
            auto it = shard_.entries.find(name);
            if (it != shard_.entries.end()) {
                it->second.record = record;
                shard_.by_use.splice(shard_.by_use.end(), shard_.by_use, it->second.use);
                return;
            }
            while (shard_.entries.size() >= per_shard_ && !shard_.by_use.empty())
                drop(shard_.entries.find(shard_.by_use.front()), removed);
            auto use = shard_.by_use.insert(shard_.by_use.end(), name);
            shard_.entries.emplace(name, Entry{record, use});
        }

        // Removes every expired record, at most once per kSweepIntervalMs
        // (a full pass over the shard is not for every lookup).
        template <class Expired, class Removed>
        void sweep(int64_t now_ms, Expired&& expired, Removed&& removed) {
            if (now_ms < shard_.next_sweep_ms) return;
            shard_.next_sweep_ms = now_ms + kSweepIntervalMs;
            for (auto it = shard_.entries.begin(); it != shard_.entries.end();) {
                auto next = std::next(it);
                if (expired(it->second.record)) drop(it, removed);
                it = next;
            }
        }

    private:
        friend class ShardedLru;
        Locked(Shard& shard, size_t per_shard) : lock_(shard.mu), shard_(shard), per_shard_(per_shard) {}

        template <class Removed>
        void drop(typename std::unordered_map<std::string, Entry>::iterator it, Removed& removed) {
            removed(it->first);
            shard_.by_use.erase(it->second.use);
            shard_.entries.erase(it);
        }

        std::lock_guard<std::mutex> lock_;
        Shard& shard_;
        const size_t per_shard_;
    };

    Locked lock(std::string_view name) { return Locked(shards_[name_hash(name) % kShards], per_shard_); }

    // Startup: fills the table with `records`, least recent first by
    // `recency(record)` (so that those go first when there is no room);
    // expired ones are not kept. Returns the names of the records not kept.
    template <class NameOf, class Recency, class Expired>
    std::vector<std::string> load(std::vector<Record> records, NameOf&& name_of, Recency&& recency,
                                  Expired&& expired) {
        std::stable_sort(records.begin(), records.end(),
                         [&](const Record& a, const Record& b) { return recency(a) < recency(b); });
        std::vector<std::string> removed;
        const auto remove = [&](const std::string& name) { removed.push_back(name); };
        for (const Record& r : records) {
            const std::string& name = name_of(r);
            if (expired(r)) {
                removed.push_back(name);
                continue;
            }
            lock(name).upsert(name, r, remove);
        }
        return removed;
    }

    // Records in the table now.
    size_t size() {
        size_t n = 0;
        for (auto& shard : shards_) {
            std::lock_guard lock(shard.mu);
            n += shard.entries.size();
        }
        return n;
    }

private:
    // FNV-1a, then mixed (MurmurHash3's finalizer): names often share long
    // prefixes (greylisting's network, sender, recipient), so the low bits
    // of a weaker hash would pick few shards.
    static uint64_t name_hash(std::string_view s) {
        uint64_t h = 0xcbf29ce484222325ull;
        for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
        return h;
    }

    const size_t per_shard_;
    std::array<Shard, kShards> shards_;
};

}  // namespace ringpost::util
