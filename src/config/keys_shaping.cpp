#include "config/keys_shaping.hpp"

#include <map>

#include "config/automation_rules.hpp"
#include "config/key_kinds.hpp"
#include "delivery/rate.hpp"
#include "delivery/shaping.hpp"
#include "delivery/tls_policy.hpp"

namespace ringpost::config {
namespace {

using namespace kinds;

std::string read_rate(const Reader& r, const toml::node& v, const std::string& key) {
    std::string text = r.string(v, key);
    if (auto rate = delivery::parse_rate(text); !rate) r.fail(key, rate.error().message + ", got " + quote(text));
    return text;
}

std::vector<std::string> read_patterns(const Reader& r, const toml::node& v, const std::string& key) {
    auto list = r.strings(v, key);
    for (size_t i = 0; i < list.size(); ++i)
        if (!delivery::valid_site_pattern(list[i]))
            r.fail(key + "[" + std::to_string(i) + "]",
                   "expected a host name or \"*.\" and one, got " + quote(list[i]));
    return list;
}

const std::vector<std::string_view> kSiteKeys = {"domains", "mx", "max_connections", "max_messages_per_connection",
                                                 "max_message_rate", "max_connection_rate", "idle_timeout", "tls"};

ShapingSite read_site(const Reader& r, const std::string& name, const toml::node& node, const std::string& key) {
    ShapingSite s;
    s.name = name;
    for (auto&& [k, v] : r.table(node, key)) {
        const std::string field(k.str());
        const std::string at = key + "." + field;
        if (field == "domains") s.domains = read_patterns(r, v, at);
        else if (field == "mx") s.mx = read_patterns(r, v, at);
        else if (field == "max_connections") s.max_connections = static_cast<uint32_t>(r.integer(v, at, 1, UINT32_MAX));
        else if (field == "max_messages_per_connection")
            s.max_messages_per_connection = static_cast<uint32_t>(r.integer(v, at, 1, UINT32_MAX));
        else if (field == "max_message_rate") s.max_message_rate = read_rate(r, v, at);
        else if (field == "max_connection_rate") s.max_connection_rate = read_rate(r, v, at);
        else if (field == "idle_timeout") s.idle_timeout = r.duration(v, at, true);
        else if (field == "tls") s.tls = r.one_of(v, at, {"none", "may", "encrypt", "verify"});
        else r.unknown(key + ".", field, kSiteKeys);
    }
    if (s.domains.empty() && s.mx.empty()) r.fail(key, "expected domains = [...] or mx = [...]: which domains are this site");
    return s;
}

std::string write_site(const ShapingSite& s) {
    std::string t;
    auto add = [&t](const std::string& field) { t += (t.empty() ? "" : ", ") + field; };
    if (!s.domains.empty()) add("domains = " + toml_strings(s.domains));
    if (!s.mx.empty()) add("mx = " + toml_strings(s.mx));
    if (s.max_connections) add("max_connections = " + std::to_string(*s.max_connections));
    if (s.max_messages_per_connection)
        add("max_messages_per_connection = " + std::to_string(*s.max_messages_per_connection));
    if (s.max_message_rate) add("max_message_rate = " + toml_string(*s.max_message_rate));
    if (s.max_connection_rate) add("max_connection_rate = " + toml_string(*s.max_connection_rate));
    if (s.idle_timeout) add("idle_timeout = " + toml_string(toml_duration(*s.idle_timeout)));
    if (s.tls) add("tls = " + toml_string(*s.tls));
    return "{ " + t + " }";
}

// A pattern in two sites would make the site of a domain depend on luck
// (TOML tables have no order).
void refuse_shared_patterns(const Reader& r, const std::string& key, const std::vector<ShapingSite>& sites) {
    std::map<std::string, std::string> owner;   // "domains:p" / "mx:p" -> site
    for (const auto& s : sites) {
        for (const auto* list : {&s.domains, &s.mx}) {
            const std::string kind = list == &s.domains ? "domains" : "mx";
            for (const auto& p : *list) {
                auto [it, fresh] = owner.emplace(kind + ":" + util::ascii_lower(p), s.name);
                if (!fresh && it->second != s.name)
                    r.fail(key + "." + quote(s.name) + "." + kind,
                           quote(p) + " is in site " + quote(it->second) + " too; a pattern belongs to one site");
            }
        }
    }
}

// [shaping.sites.google]: mx = ["*.google.com"], max_message_rate = "300/min", ...
Key sites_key() {
    Key k{"shaping.sites", "NAME = { domains/mx patterns, limits }: a site with its own limits (docs/BULK.md)"};
    k.is_table = true;
    k.read = [](const Reader& r, const toml::node& v, const std::string& key, Config& c) {
        auto& sites = c.shaping.sites;
        sites.clear();
        for (auto&& [name_key, entry] : r.table(v, key)) {
            const std::string name(name_key.str());
            const std::string item_key = key + "." + quote(name);
            // Site names appear in logs as site=NAME and never contain the
            // ':' of an MX-rollup site's name.
            if (name.empty() || name.find_first_of(": \t\"=") != std::string::npos)
                r.fail(item_key, "expected a site name without ':', blanks, '\"' or '='");
            sites.push_back(read_site(r, name, entry, item_key));
        }
        refuse_shared_patterns(r, key, sites);
    };
    k.write = [](const Config& c) {
        std::string lines;
        for (const auto& s : c.shaping.sites) lines += toml_string(s.name) + " = " + write_site(s) + "\n";
        return lines;
    };
    return k;
}

}  // namespace

kinds::Check rate_check() {
    return [](const Reader& r, const std::string& key, const std::string& value) {
        if (auto rate = delivery::parse_rate(value); !rate) r.fail(key, rate.error().message + ", got " + quote(value));
    };
}

void add_shaping_keys(std::vector<Key>& t) {
    t.push_back(boolean("shaping.mx_rollup", "domains whose MX hosts are the same are one site with one set of limits",
                        RP_FIELD(shaping.mx_rollup)));
    t.push_back(string("shaping.max_message_rate", "messages per site, spread evenly (\"300/min\", \"20/s\"); \"\" = no limit",
                       RP_FIELD(shaping.max_message_rate), rate_check()));
    t.push_back(string("shaping.max_connection_rate", "new connections per site (\"10/s\"); \"\" = no limit",
                       RP_FIELD(shaping.max_connection_rate), rate_check()));
    t.push_back(rules_file("shaping.automation",
                           "automation rules (suspend / throttle / fail on replies) tried before the built-in ones; "
                           "\"\" = none",
                           RP_FIELD(shaping.automation), RP_FIELD(shaping.automation_specs), load_automation_rules));
    t.push_back(boolean("shaping.builtin_automation",
                        "also the built-in automation rules for the big providers (data/shaping-automation.toml)",
                        RP_FIELD(shaping.builtin_automation)));
    t.push_back(sites_key());
}

}  // namespace ringpost::config
