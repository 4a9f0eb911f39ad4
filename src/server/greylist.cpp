#include "server/greylist.hpp"

#include <algorithm>
#include <chrono>

#include "server/greylist_key.hpp"
#include "util/ascii.hpp"

namespace ringpost::server {
namespace {

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
    : config_(config), saver_(std::move(saver)), table_(config.max_entries) {}

bool Greylist::expired(const store::GreylistRecord& r, int64_t now_ms) const {
    // A confirmed triplet and a client count live `lifetime` after their
    // last pass; an unconfirmed triplet `retry_window` after its first attempt.
    if (r.confirmed || is_client_key(r.key)) return now_ms - r.last_ms > config_.lifetime_ms;
    return now_ms - r.first_ms > config_.retry_window_ms;
}

void Greylist::load(std::vector<store::GreylistRecord> records, int64_t now_ms) {
    std::vector<std::string> removed = table_.load(
        std::move(records), [](const auto& r) -> const std::string& { return r.key; },
        [](const auto& r) { return r.last_ms; }, [&](const auto& r) { return expired(r, now_ms); });
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

size_t Greylist::size() { return table_.size(); }

const store::GreylistRecord* Greylist::find(Table::Locked& shard, const std::string& key, int64_t now_ms,
                                            Changes& changes) const {
    return shard.find(
        key, [&](const auto& r) { return expired(r, now_ms); }, [&](const std::string& k) { changes.remove(k); });
}

void Greylist::write(Table::Locked& shard, const store::GreylistRecord& record, Changes& changes) {
    shard.upsert(record.key, record, [&](const std::string& k) { changes.remove(k); });
    changes.write(record);
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
    Table::Locked shard = table_.lock(key);
    const store::GreylistRecord* r = find(shard, key, now_ms, changes);
    return r && r->count >= config_.auto_whitelist_after;
}

void Greylist::count_client_pass(const std::string& key, int64_t now_ms, Changes& changes) {
    if (config_.auto_whitelist_after == 0) return;
    Table::Locked shard = table_.lock(key);
    const store::GreylistRecord* known = find(shard, key, now_ms, changes);
    store::GreylistRecord r{key, now_ms, now_ms, 1, true};
    if (known) {
        // At most one count per delay: one message to many recipients,
        // or a burst of them, shows one retrying client, not many.
        if (now_ms - known->last_ms < static_cast<int64_t>(config_.delay_ms)) return;
        r = *known;
        r.count += 1;
        r.last_ms = now_ms;
    }
    write(shard, r, changes);
}

Greylist::Verdict Greylist::check_triplet(const std::string& key, int64_t now_ms, Changes& changes) {
    Table::Locked shard = table_.lock(key);
    // Straight into `removed` (no Changes::remove, which is linear): the
    // sweep comes before this check writes anything, so `put` holds no
    // name of this shard, and a name twice in `removed` is only deleted twice.
    shard.sweep(
        now_ms, [&](const auto& r) { return expired(r, now_ms); },
        [&](const std::string& k) { changes.removed.push_back(k); });
    const store::GreylistRecord* known = find(shard, key, now_ms, changes);
    Verdict v;
    if (!known) {   // first attempt (or the first since the last one expired)
        write(shard, store::GreylistRecord{key, now_ms, now_ms, 0, false}, changes);
        v.outcome = Outcome::kGreylisted;
        v.retry_in_ms = config_.delay_ms;
        return v;
    }
    store::GreylistRecord r = *known;
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
    write(shard, r, changes);
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
