// Greylisting (RFC 6647), as Postfix with postgrey does it, at RCPT TO of
// mail from untrusted clients (docs/INBOUND.md "Greylisting").
//
// A triplet is (client network, normalised sender, recipient). The first
// attempt of a triplet is refused (451 4.7.1) and remembered; a retry
// before `delay` has passed is refused again; a retry after it, and before
// `retry_window` has passed since the first attempt, passes and confirms
// the triplet (RFC 6647 4.2); a confirmed triplet passes until it has not
// been used for `lifetime`, each pass refreshing it. A client network
// whose triplets passed `auto_whitelist_after` times (counted at most once
// per `delay`, so that one message to many recipients counts once) is not
// greylisted any more until it has not passed for `lifetime` (postgrey's
// --auto-whitelist-clients). Listed domains, whitelisted networks and
// recipients are never greylisted.
//
// The table lives in memory, shared by all workers (util/sharded_lru.hpp:
// shards under their own mutexes, never held across I/O). Bounded: at most
// `max_entries` records, the least recently used dropped first. Expired
// records go when looked up and when their shard is swept (on a check, at
// most once a minute per shard). Every change -- a new triplet, a
// confirmation, a pass, a removal -- is handed to the Saver outside the
// locks; in the server that is the store (store/greylist_records.hpp),
// which joins it to the next group commit without an fsync of its own, and
// load() fills the table from it at startup. Times are unix milliseconds,
// given by the caller (tests inject them).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "store/greylist_records.hpp"
#include "util/sharded_lru.hpp"

namespace ringpost::server {

class Greylist {
public:
    using Saver = std::function<void(std::vector<store::GreylistRecord> put, std::vector<std::string> removed)>;

    Greylist(const config::GreylistConfig& config, Saver saver);

    // Startup: the records as stored. Expired ones are not kept (and are
    // removed through the saver); past max_entries the least recent go.
    void load(std::vector<store::GreylistRecord> records, int64_t now_ms);

    enum class Outcome : uint8_t {
        kGreylisted,       // first attempt, or a retry too early: 451 4.7.1
        kPassed,           // a retry after the delay: the triplet is confirmed now
        kKnown,            // a confirmed triplet
        kAutoWhitelisted,  // the client network passed auto_whitelist_after times
        kWhitelisted,      // whitelist_networks or whitelist_recipients
        kUnlistedDomain,   // the recipient's domain is not in `domains`
    };
    static constexpr size_t kOutcomeCount = static_cast<size_t>(Outcome::kUnlistedDomain) + 1;
    static const char* outcome_name(Outcome outcome);

    struct Verdict {
        Outcome outcome = Outcome::kUnlistedDomain;
        int64_t retry_in_ms = 0;   // kGreylisted: until a retry passes
        int64_t waited_ms = 0;     // kPassed: since the first attempt
    };
    // The client at `ip16` (16-byte form) sends mail from `sender` to `recipient`.
    Verdict check(const uint8_t ip16[16], std::string_view sender, std::string_view recipient, int64_t now_ms);

    // The 451 reply's text for a kGreylisted verdict: [greylist] reply
    // with "%s" replaced by the seconds until a retry passes (at least 1).
    std::string reply(const Verdict& verdict) const;

    // Unix milliseconds now: the clock of the product (the records outlive
    // the process, so not a steady clock).
    static int64_t wall_clock_ms();

    // Records in memory now (triplets and client counts).
    size_t size();

private:
    using Table = util::ShardedLru<store::GreylistRecord>;
    // What one check changed, saved once its locks are released. A name is
    // in one list at most: the last change to it wins.
    struct Changes {
        std::vector<store::GreylistRecord> put;
        std::vector<std::string> removed;

        void write(const store::GreylistRecord& r);
        void remove(const std::string& key);
    };

    bool expired(const store::GreylistRecord& r, int64_t now_ms) const;
    bool exempt(const uint8_t ip16[16], std::string_view recipient, Verdict& verdict) const;
    // Under the shard's lock: the live record named `key` (an expired one is removed), or null.
    const store::GreylistRecord* find(Table::Locked& shard, const std::string& key, int64_t now_ms,
                                      Changes& changes) const;
    // Under the shard's lock: stores `record` as the most recently used
    // (the least recently used go while the shard is full) and notes it.
    static void write(Table::Locked& shard, const store::GreylistRecord& record, Changes& changes);
    bool client_whitelisted(const std::string& key, int64_t now_ms, Changes& changes);
    void count_client_pass(const std::string& key, int64_t now_ms, Changes& changes);
    Verdict check_triplet(const std::string& key, int64_t now_ms, Changes& changes);

    const config::GreylistConfig config_;
    Saver saver_;
    Table table_;
};

}  // namespace ringpost::server
