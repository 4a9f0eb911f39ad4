#include "config/keys_screen.hpp"

#include "config/key_kinds.hpp"
#include "dns/dnsbl.hpp"

namespace ringpost::config {
namespace {

using namespace kinds;

// DNSBL scores stay small: a weight is at most 1000 in absolute value.
constexpr int64_t kMaxScore = 100000;
// A greeting held back or a lookup waited for longer than this only ties
// up the connection slot (postscreen's greet wait is 6 s).
constexpr uint32_t kMaxScreenWaitMs = 60000;
// A remembered pass: at most 30 days (postscreen's cache keeps entries
// 7 days after they expire; a pass much older says little of a client).
constexpr uint32_t kMaxPassTtlMs = 30u * 86400 * 1000;

// A score threshold: a signed integer from `min` to `max`.
template <class F>
Key score(std::string name, std::string help, F field, int64_t min, int64_t max) {
    Key k{std::move(name), std::move(help)};
    k.read = [field, min, max](const Reader& r, const toml::node& v, const std::string& key, Config& c) {
        auto i = v.as_integer();
        if (!i || i->get() < min || i->get() > max)
            r.fail(key, "expected an integer from " + std::to_string(min) + " to " + std::to_string(max));
        field(c) = static_cast<int32_t>(i->get());
    };
    k.write = [field](const Config& c) { return std::to_string(field(c)); };
    return k;
}

void check_site(const Reader& r, const std::string& key, const std::string& text) {
    if (auto site = dns::parse_dnsbl_site(text); !site) r.fail(key, site.error().message);
}

}  // namespace

void add_screen_keys(std::vector<Key>& t) {
    t.push_back(strings("screen.dnsbl_sites",
                        "DNS block/allow lists as \"zone[=127.0.0.[2..11]][*weight]\" (negative weight: allow list)",
                        RP_FIELD(screen.dnsbl_sites), check_site));
    t.push_back(score("screen.dnsbl_threshold", "a DNSBL score this high or higher: 554 5.7.1 and hang up",
                      RP_FIELD(screen.dnsbl_threshold), 1, kMaxScore));
    t.push_back(score("screen.dnsbl_allowlist_threshold",
                      "a DNSBL score this low or lower skips the pregreet test; 0 = off (negative to enable)",
                      RP_FIELD(screen.dnsbl_allowlist_threshold), -kMaxScore, 0));
    t.push_back(delay("screen.dnsbl_timeout", "lists that have not answered by then count as not listing",
                      RP_FIELD(screen.dnsbl_timeout_ms), kMaxScreenWaitMs));
    t.push_back(choice("screen.pregreet",
                       "clients talking before the greeting: off, enforce (554 5.5.1 and hang up), ignore (log only)",
                       RP_FIELD(screen.pregreet), {"off", "enforce", "ignore"}));
    t.push_back(delay("screen.greet_wait", "how long the greeting waits after its first line \"220-\" (pregreet test)",
                      RP_FIELD(screen.greet_wait_ms), kMaxScreenWaitMs));
    t.push_back(delay("screen.dnsbl_ttl", "a client the DNSBLs passed skips the lookups for this long; 0 = not remembered",
                      RP_FIELD(screen.dnsbl_ttl_ms), kMaxPassTtlMs));
    t.push_back(delay("screen.pregreet_ttl", "a client that passed the pregreet test skips it for this long; 0 = not remembered",
                      RP_FIELD(screen.pregreet_ttl_ms), kMaxPassTtlMs));
    t.push_back(integer("screen.cache_max_entries", "client addresses whose passes are remembered (memory and store)",
                        RP_FIELD(screen.cache_max_entries), 100, 100000000));
    t.push_back(boolean("screen.screen_trusted", "screen (and rate-limit) clients in relay_networks too",
                        RP_FIELD(screen.screen_trusted)));
}

}  // namespace ringpost::config
