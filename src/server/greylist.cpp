#include "server/greylist.hpp"

#include <algorithm>
#include <chrono>

#include "server/greylist_key.hpp"
#include "util/ascii.hpp"

namespace ringpost::server {
namespace {

// FNV-1a, then mixed (MurmurHash3's finalizer): the names share long
// prefixes, so the low bits alone would pick few shards.
uint64_t name_hash(std::string_view s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

std::string_view domain_of(std::string_view address) {
    const auto at = address.rfind('@');
    return at == std::string_view::npos ? std::string_view{} : address.substr(at + 1);
}

}  // namespace

void Greylist::Changes::write(const store::GreylistRecord& r) {
    std::erase(removed, r.key);
    std::erase_if(put, [&](const auto& p) { return p.key == r.key; });
    put.push_back(r);
}

void Greylist::Changes::remove(const std::string& key) {
    std::erase_if(put, [&](const auto& p) { return p.key == key; });
    std::erase(removed, key);
    removed.push_back(key);
}

const char* Greylist::outcome_name(Outcome outcome) {
    switch (outcome) {
        case Outcome::kGreylisted: return "greylisted";
        case Outcome::kPassed: return "passed";
        case Outcome::kKnown: return "known";
        case Outcome::kAutoWhitelisted: return "auto_whitelisted";
        case Outcome::kWhitelisted: return "whitelisted";
        case Outcome::kUnlistedDomain: return "unlisted_domain";
    }
    return "?";
}

Greylist::Greylist(const config::GreylistConfig& config, Saver saver)
    : config_(config), per_shard_(std::max<size_t>(1, config.max_entries / kShards)), saver_(std::move(saver)) {}

Greylist::Shard& Greylist::shard_of(std::string_view key) { return shards_[name_hash(key) % kShards]; }

bool Greylist::expired(const store::GreylistRecord& r, int64_t now_ms) const {
    // A confirmed triplet and a client count live `lifetime` after their
    // last pass; an unconfirmed triplet `retry_window` after its first attempt.
    if (r.confirmed || is_client_key(r.key)) return now_ms - r.last_ms > config_.lifetime_ms;
    return now_ms - r.first_ms > config_.retry_window_ms;
}

void Greylist::load(std::vector<store::GreylistRecord> records, int64_t now_ms) {
    // Oldest first, so that the least recently used are dropped for room.
    std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.last_ms < b.last_ms; });
    std::vector<std::string> removed;
    for (auto& r : records) {
        if (expired(r, now_ms)) {
            removed.push_back(std::move(r.key));
            continue;
        }
        Shard& shard = shard_of(r.key);
        std::lock_guard lock(shard.mu);
        Changes dropped;   // its put is this record, stored already
        upsert(shard, r, dropped);
        for (auto& key : dropped.removed) removed.push_back(std::move(key));
    }
    if (!removed.empty()) saver_({}, std::move(removed));
}

std::string Greylist::reply(const Verdict& verdict) const {
    const int64_t seconds = std::max<int64_t>(1, (verdict.retry_in_ms + 999) / 1000);
    std::string text = config_.reply;
    for (auto at = text.find("%s"); at != std::string::npos; at = text.find("%s", at)) {
        text.replace(at, 2, std::to_string(seconds));
        at += std::to_string(seconds).size();
    }
    return text;
}

int64_t Greylist::wall_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

size_t Greylist::size() {
    size_t n = 0;
    for (auto& shard : shards_) {
        std::lock_guard lock(shard.mu);
        n += shard.entries.size();
    }
    return n;
}

Greylist::Entry* Greylist::find(Shard& shard, const std::string& key, int64_t now_ms, Changes& changes) {
    auto it = shard.entries.find(key);
    if (it == shard.entries.end()) return nullptr;
    if (!expired(it->second.record, now_ms)) return &it->second;
    shard.by_use.erase(it->second.use);
    shard.entries.erase(it);
    changes.remove(key);
    return nullptr;
}

void Greylist::upsert(Shard& shard, const store::GreylistRecord& record, Changes& changes) {
    auto it = shard.entries.find(record.key);
    if (it != shard.entries.end()) {
        it->second.record = record;
        shard.by_use.splice(shard.by_use.end(), shard.by_use, it->second.use);
    } else {
        while (shard.entries.size() >= per_shard_ && !shard.by_use.empty()) {
            changes.remove(shard.by_use.front());
            shard.entries.erase(shard.by_use.front());
            shard.by_use.pop_front();
        }
        auto use = shard.by_use.insert(shard.by_use.end(), record.key);
        shard.entries.emplace(record.key, Entry{record, use});
    }
    changes.write(record);
}

void Greylist::sweep(Shard& shard, int64_t now_ms, Changes& changes) {
    if (now_ms < shard.next_sweep_ms) return;
    shard.next_sweep_ms = now_ms + kSweepIntervalMs;
    for (auto it = shard.entries.begin(); it != shard.entries.end();) {
        if (!expired(it->second.record, now_ms)) {
            ++it;
            continue;
        }
        // Straight in (no Changes::remove, which is linear): a check sweeps
        // before it writes anything, so `put` is empty here, and a name
        // twice in `removed` is only deleted twice.
        changes.removed.push_back(it->first);
        shard.by_use.erase(it->second.use);
        it = shard.entries.erase(it);
    }
}

bool Greylist::exempt(const uint8_t ip16[16], std::string_view recipient, Verdict& verdict) const {
    const std::string rcpt = util::ascii_lower(recipient);
    const std::string_view domain = domain_of(rcpt);
    // A bare "postmaster" (RFC 5321 4.5.1) has no domain: never greylisted.
    if (domain.empty() ||
        (!config_.domains.empty() &&
         std::find(config_.domains.begin(), config_.domains.end(), domain) == config_.domains.end())) {
        verdict.outcome = Outcome::kUnlistedDomain;
        return true;
    }
    const std::string at_domain = "@" + std::string(domain);
    const auto& listed = config_.whitelist_recipients;
    if (config::networks_contain(config_.whitelist_networks, ip16) ||
        std::find(listed.begin(), listed.end(), rcpt) != listed.end() ||
        std::find(listed.begin(), listed.end(), at_domain) != listed.end()) {
        verdict.outcome = Outcome::kWhitelisted;
        return true;
    }
    return false;
}

bool Greylist::client_whitelisted(const std::string& key, int64_t now_ms, Changes& changes) {
    if (config_.auto_whitelist_after == 0) return false;
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mu);
    const Entry* e = find(shard, key, now_ms, changes);
    return e && e->record.count >= config_.auto_whitelist_after;
}

void Greylist::count_client_pass(const std::string& key, int64_t now_ms, Changes& changes) {
    if (config_.auto_whitelist_after == 0) return;
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mu);
    const Entry* e = find(shard, key, now_ms, changes);
    store::GreylistRecord r{key, now_ms, now_ms, 1, true};
    if (e) {
        // At most one count per delay: one message to many recipients,
        // or a burst of them, shows one retrying client, not many.
        if (now_ms - e->record.last_ms < static_cast<int64_t>(config_.delay_ms)) return;
        r = e->record;
        r.count += 1;
        r.last_ms = now_ms;
    }
    upsert(shard, r, changes);
}

Greylist::Verdict Greylist::check_triplet(const std::string& key, int64_t now_ms, Changes& changes) {
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mu);
    sweep(shard, now_ms, changes);
    const Entry* e = find(shard, key, now_ms, changes);
    Verdict v;
    if (!e) {   // first attempt (or the first since the last one expired)
        upsert(shard, store::GreylistRecord{key, now_ms, now_ms, 0, false}, changes);
        v.outcome = Outcome::kGreylisted;
        v.retry_in_ms = config_.delay_ms;
        return v;
    }
    store::GreylistRecord r = e->record;
    if (!r.confirmed && now_ms - r.first_ms < static_cast<int64_t>(config_.delay_ms)) {
        v.outcome = Outcome::kGreylisted;   // too early: the record stays as it was
        v.retry_in_ms = r.first_ms + config_.delay_ms - now_ms;
        return v;
    }
    v.outcome = r.confirmed ? Outcome::kKnown : Outcome::kPassed;
    v.waited_ms = now_ms - r.first_ms;
    r.confirmed = true;
    r.count += 1;
    r.last_ms = now_ms;
    upsert(shard, r, changes);
    return v;
}

Greylist::Verdict Greylist::check(const uint8_t ip16[16], std::string_view sender, std::string_view recipient,
                                  int64_t now_ms) {
    Verdict v;
    if (exempt(ip16, recipient, v)) return v;
    // One shard's lock at a time (never two at once: no lock order to keep).
    const std::string network = client_network(ip16, config_.network_prefix_v4, config_.network_prefix_v6);
    const std::string client = client_key(network);
    Changes changes;
    if (client_whitelisted(client, now_ms, changes)) {
        v.outcome = Outcome::kAutoWhitelisted;
        count_client_pass(client, now_ms, changes);   // keeps it alive
    } else {
        v = check_triplet(triplet_key(network, normalized_sender(sender), util::ascii_lower(recipient)), now_ms,
                          changes);
        if (v.outcome != Outcome::kGreylisted) count_client_pass(client, now_ms, changes);
    }
    if (!changes.put.empty() || !changes.removed.empty()) saver_(std::move(changes.put), std::move(changes.removed));
    return v;
}

}  // namespace ringpost::server
