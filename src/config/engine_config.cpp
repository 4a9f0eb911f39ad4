#include "config/engine_config.hpp"

#include <algorithm>

#include "config/automation_rules.hpp"
#include "config/bounce_rules.hpp"
#include "util/ascii.hpp"

namespace ringpost::config {

using util::ascii_lower;

bool is_local_address(const RelayConfig& relay, std::string_view address) {
    size_t at = address.rfind('@');
    if (at == std::string_view::npos) return ascii_lower(address) == "postmaster";
    std::string domain = ascii_lower(address.substr(at + 1));
    return std::find(relay.local_domains.begin(), relay.local_domains.end(), domain) != relay.local_domains.end();
}

namespace {

// Policy and rate texts were checked when the file was read; these throw
// only for a Config built in code with a bad value.
delivery::TlsPolicy tls_policy(const std::string& key, const std::string& name) {
    auto p = delivery::parse_tls_policy(name);
    if (!p) throw ConfigError(key + ": unknown TLS policy \"" + name + "\" (none, may, encrypt, verify)");
    return *p;
}

delivery::Rate rate(const std::string& key, const std::string& text) {
    auto r = delivery::parse_rate(text);
    if (!r) throw ConfigError(key + ": " + r.error().message);
    return *r;
}

delivery::ShapingRule shaping_rule(const ShapingSite& s) {
    const std::string key = "shaping.sites." + s.name;
    delivery::ShapingRule r;
    r.name = s.name;
    r.domains = s.domains;
    r.mx = s.mx;
    r.max_connections = s.max_connections;
    r.max_messages_per_connection = s.max_messages_per_connection;
    if (s.max_message_rate) r.max_message_rate = rate(key + ".max_message_rate", *s.max_message_rate);
    if (s.max_connection_rate) r.max_connection_rate = rate(key + ".max_connection_rate", *s.max_connection_rate);
    if (s.idle_timeout) r.idle_timeout = std::chrono::seconds(*s.idle_timeout);
    if (s.tls) r.tls = tls_policy(key + ".tls", *s.tls);
    return r;
}

}  // namespace

delivery::ShapingConfig shaping_config(const Config& config) {
    const DeliveryConfig& d = config.delivery;
    delivery::ShapingConfig s;
    s.mx_rollup = config.shaping.mx_rollup;
    s.defaults.max_connections = d.max_connections_per_destination;
    s.defaults.max_messages_per_connection = d.max_messages_per_connection;
    s.defaults.idle_timeout = std::chrono::seconds(d.idle_timeout);
    s.defaults.max_message_rate = rate("shaping.max_message_rate", config.shaping.max_message_rate);
    s.defaults.max_connection_rate = rate("shaping.max_connection_rate", config.shaping.max_connection_rate);
    for (const auto& site : config.shaping.sites) s.rules.push_back(shaping_rule(site));
    return s;
}

delivery::EgressConfig egress_config(const Config& config) {
    const EgressConfig& c = config.egress;
    delivery::EgressConfig e;
    e.default_pool = c.default_pool;
    for (const auto& s : c.sources)
        e.sources.push_back({s.name, s.address, s.ehlo.empty() ? config.hostname : s.ehlo});
    for (const auto& p : c.pools) {
        delivery::EgressPool pool{p.name, {}, p.weights};
        if (pool.weights.empty()) pool.weights.assign(p.sources.size(), 1);
        for (const auto& name : p.sources) {
            auto it = std::find_if(c.sources.begin(), c.sources.end(), [&](const auto& s) { return s.name == name; });
            // load_config refused unknown names; a Config built in code may have one.
            if (it == c.sources.end()) throw ConfigError("egress.pools." + p.name + ": unknown source \"" + name + "\"");
            pool.sources.push_back(static_cast<size_t>(it - c.sources.begin()));
        }
        if (pool.weights.size() != pool.sources.size())
            throw ConfigError("egress.pools." + p.name + ".weights: expected one weight per source");
        e.pools.push_back(std::move(pool));
    }
    if (!e.default_pool.empty() && !e.find_pool(e.default_pool))
        throw ConfigError("egress.default_pool: unknown pool \"" + e.default_pool + "\"");
    return e;
}

dns::ResolverOptions resolver_options(const Config& config) {
    dns::ResolverOptions o;
    o.servers = config.delivery.dns_servers;
    return o;
}

delivery::EngineConfig engine_config(const Config& config) {
    const DeliveryConfig& d = config.delivery;
    delivery::EngineConfig e;
    e.hostname = config.hostname;
    e.resolver = resolver_options(config);
    e.remote_port = d.remote_port;
    for (const auto& [domain, hop] : d.routes) {
        auto route = delivery::parse_route(hop);
        if (!route) throw ConfigError("delivery.routes." + domain + ": " + route.error().message);
        e.routes[domain] = route.value();
    }
    auto retry = delivery::RetrySchedule::parse(d.retry_schedule);
    if (!retry) throw ConfigError("delivery.retry_schedule: " + retry.error().message);
    e.retry = retry.value();
    e.max_queue_lifetime = std::chrono::seconds(d.max_queue_lifetime);
    e.delay_warning = std::chrono::seconds(d.delay_warning);
    e.max_hops = d.max_hops;
    e.max_connections_per_host = d.max_connections_per_host;
    e.timeouts.connect = std::chrono::seconds(d.connect_timeout);
    e.shaping = shaping_config(config);
    e.egress = egress_config(config);
    e.shutdown_grace = std::chrono::seconds(config.smtp.shutdown_grace);
    // [delivery.tls]: the policy names were checked by load_config.
    e.tls.default_policy = tls_policy("delivery.tls.default", d.tls.default_policy);
    for (const auto& [domain, name] : d.tls.domains)
        e.tls.domains[ascii_lower(domain)] = tls_policy("delivery.tls.domains." + domain, name);
    e.tls_ca_file = d.tls.ca_file;
    e.bounce_classifier = bounce_classifier(config);
    e.automation = automation(config);
    RelayConfig relay = config.relay;
    e.events = config.events.enabled();
    e.is_local = [relay](std::string_view address) { return is_local_address(relay, address); };
    return e;
}

}  // namespace ringpost::config
