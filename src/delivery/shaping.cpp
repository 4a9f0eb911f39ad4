#include "delivery/shaping.hpp"

#include <algorithm>

#include "delivery/targets.hpp"
#include "util/ascii.hpp"

namespace ringpost::delivery {
namespace {

SiteLimits apply(const SiteLimits& defaults, const ShapingRule& r) {
    SiteLimits l = defaults;
    if (r.max_connections) l.max_connections = *r.max_connections;
    if (r.max_messages_per_connection) l.max_messages_per_connection = *r.max_messages_per_connection;
    if (r.max_message_rate) l.max_message_rate = *r.max_message_rate;
    if (r.max_connection_rate) l.max_connection_rate = *r.max_connection_rate;
    if (r.idle_timeout) l.idle_timeout = *r.idle_timeout;
    if (r.tls) l.tls = r.tls;
    return l;
}

// The MX host set, sorted, and the port: domains whose mail goes to the
// same hosts share a site whatever their preferences.
std::string rollup_key(const std::vector<Target>& targets) {
    std::vector<std::string> hosts;
    for (const auto& t : targets) hosts.push_back(util::ascii_lower(t.host));
    std::sort(hosts.begin(), hosts.end());
    hosts.erase(std::unique(hosts.begin(), hosts.end()), hosts.end());
    std::string key;
    for (const auto& h : hosts) key += (key.empty() ? "" : ",") + h;
    return key + ":" + std::to_string(targets.empty() ? 0 : targets.front().port);
}

}  // namespace

bool valid_site_pattern(std::string_view p) {
    if (p.starts_with("*.")) p.remove_prefix(2);
    if (p.empty() || p.front() == '.' || p.back() == '.' || p.find("..") != std::string_view::npos) return false;
    return std::all_of(p.begin(), p.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
               c == '_' || static_cast<unsigned char>(c) >= 0x80;
    });
}

SiteMatcher::SiteMatcher(const std::vector<ShapingRule>& rules) {
    for (size_t i = 0; i < rules.size(); ++i) {
        for (const auto& p : rules[i].domains) add(domain_exact_, domain_below_, p, static_cast<int>(i));
        for (const auto& p : rules[i].mx) add(mx_exact_, mx_below_, p, static_cast<int>(i));
    }
}

void SiteMatcher::add(Patterns& exact, Patterns& below, const std::string& pattern, int rule) {
    std::string p = util::ascii_lower(pattern);
    const bool wildcard = p.starts_with("*.");
    if (wildcard) p.erase(0, 2);
    (wildcard ? below : exact).emplace(std::move(p), rule);
}

SiteMatcher::Match SiteMatcher::lookup(const Patterns& exact, const Patterns& below, std::string_view name,
                                       size_t base) {
    // Scores: names are under 256 bytes, so a kind and an exact match
    // outrank any suffix length.
    if (auto it = exact.find(std::string(name)); it != exact.end()) return Match{it->second, base + 512};
    // "*.example.com" matches every name ending in ".example.com"; the
    // first suffix found is the longest.
    for (size_t dot = name.find('.'); dot != std::string_view::npos; dot = name.find('.', dot + 1)) {
        const std::string_view suffix = name.substr(dot + 1);
        if (auto it = below.find(std::string(suffix)); it != below.end()) return Match{it->second, base + suffix.size()};
    }
    return {};
}

int SiteMatcher::match(std::string_view domain, const std::vector<std::string>& hosts) const {
    constexpr size_t kDomain = 1024;   // a domain pattern outranks every MX pattern
    Match best = lookup(domain_exact_, domain_below_, util::ascii_lower(domain), kDomain);
    for (const auto& h : hosts) {
        const Match m = lookup(mx_exact_, mx_below_, util::ascii_lower(h), 0);
        if (m.rule >= 0 && (best.rule < 0 || m.score > best.score)) best = m;
    }
    return best.rule;
}

SiteChoice choose_site(const ShapingConfig& config, const SiteMatcher& matcher, std::string_view domain,
                       const std::vector<Target>& targets) {
    std::vector<std::string> hosts;
    for (const auto& t : targets) hosts.push_back(t.host);
    const int rule = matcher.match(domain, hosts);
    if (rule >= 0) {
        const ShapingRule& r = config.rules[static_cast<size_t>(rule)];
        // Lower-cased like every site key: `queue suspend` names sites so.
        return SiteChoice{util::ascii_lower(r.name), apply(config.defaults, r), r.name};
    }
    if (config.mx_rollup && !targets.empty()) return SiteChoice{rollup_key(targets), config.defaults, {}};
    return SiteChoice{util::ascii_lower(domain), config.defaults, {}};
}

}  // namespace ringpost::delivery
