// Traffic shaping per destination site (issue 13; docs/BULK.md). A site is
// what a mailbox provider sees of us: the destination domains that resolve
// to the same MX host set (MX rollup, as KumoMTA does: gmail.com and every
// Google-hosted domain), or all the domains that one named rule matches (by
// domain or by MX host pattern), or -- with mx_rollup off and no rule -- one
// domain. Limits hold per site: connections at once, messages per
// connection, message and connection rates (rate.hpp), idle time, TLS.
// Pure: the delivery ring keeps the running state (site.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "delivery/rate.hpp"
#include "delivery/tls_policy.hpp"
#include "io/ops.hpp"

namespace ringpost::delivery {

struct Target;

struct SiteLimits {
    uint32_t max_connections = 20;
    uint32_t max_messages_per_connection = 100;
    Rate max_message_rate;
    Rate max_connection_rate;
    io::Duration idle_timeout{2000};
    // For the site's domains that have no [delivery.tls.domains] entry.
    std::optional<TlsPolicy> tls;
    bool operator==(const SiteLimits&) const = default;
};

// A [shaping.sites.NAME] table: which domains it takes in, and the limits
// it sets (unset ones come from the defaults).
struct ShapingRule {
    std::string name;
    // Patterns: "example.com" is that name; "*.example.com" any name below it.
    std::vector<std::string> domains;   // matched against the destination domain
    std::vector<std::string> mx;        // matched against each of its MX hosts
    std::optional<uint32_t> max_connections;
    std::optional<uint32_t> max_messages_per_connection;
    std::optional<Rate> max_message_rate;
    std::optional<Rate> max_connection_rate;
    std::optional<io::Duration> idle_timeout;
    std::optional<TlsPolicy> tls;
};

struct ShapingConfig {
    bool mx_rollup = true;
    SiteLimits defaults;
    std::vector<ShapingRule> rules;   // SiteMatcher says which one a domain gets
};

// The rules' patterns in hash maps: a lookup costs a few map probes per
// label of the domain and of each MX host, however many rules there are.
// The most specific match wins, whatever the order of the rules (TOML
// tables have none): a domain pattern before an MX pattern (the domain is
// named), an exact name before "*.", a longer "*." suffix before a shorter
// one. A pattern belongs to one rule (the config refuses it twice).
class SiteMatcher {
public:
    explicit SiteMatcher(const std::vector<ShapingRule>& rules);
    // The rule matching `domain` or one of `hosts` best; -1 if none.
    int match(std::string_view domain, const std::vector<std::string>& hosts) const;

private:
    struct Match {
        int rule = -1;
        size_t score = 0;   // higher is more specific
    };
    using Patterns = std::unordered_map<std::string, int>;
    static void add(Patterns& exact, Patterns& below, const std::string& pattern, int rule);
    // `base` ranks the kind of pattern (domain above MX).
    static Match lookup(const Patterns& exact, const Patterns& below, std::string_view name, size_t base);
    Patterns domain_exact_, domain_below_, mx_exact_, mx_below_;
};

struct SiteChoice {
    std::string key;    // "google" (a rule's name), "mx1.example.net,mx2.example.net:25", or the domain
    SiteLimits limits;
    std::string rule;   // the rule's name, "" = the defaults
};

// Where `domain`, whose mail goes to `targets` (in preference order),
// belongs. Names are compared lower-cased.
SiteChoice choose_site(const ShapingConfig& config, const SiteMatcher& matcher, std::string_view domain,
                       const std::vector<Target>& targets);

// A pattern as the rules take it: a host name, optionally after "*.".
bool valid_site_pattern(std::string_view pattern);

}  // namespace ringpost::delivery
