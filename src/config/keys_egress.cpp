// The [egress] keys (keys_egress.hpp): sources and pools as tables of
// tables, the pool rules as string tables, and the names checked across keys.
#include "config/keys_egress.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include "config/key_kinds.hpp"

namespace ringpost::config {
namespace {

using namespace kinds;

constexpr uint64_t kMaxWeight = 1000000;

bool ip_literal(const std::string& s) {
    unsigned char buf[16];
    return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

const std::vector<std::string_view> kSourceKeys = {"address", "ehlo"};
const std::vector<std::string_view> kPoolKeys = {"sources", "weights"};

EgressSourceConfig read_source(const Reader& r, const std::string& name, const toml::node& node, const std::string& key) {
    EgressSourceConfig s;
    s.name = name;
    for (auto&& [k, v] : r.table(node, key)) {
        const std::string field(k.str());
        const std::string at = key + "." + field;
        if (field == "address") {
            s.address = r.string(v, at);
            if (!ip_literal(s.address)) r.fail(at, "expected an IPv4 or IPv6 address, got " + quote(s.address));
        } else if (field == "ehlo") {
            s.ehlo = r.string(v, at);
            if (!valid_domain_chars(s.ehlo)) r.fail(at, "expected a host name, got " + quote(s.ehlo));
        } else {
            r.unknown(key + ".", field, kSourceKeys);
        }
    }
    if (s.address.empty()) r.fail(key, "expected address = \"...\": the local address to send from");
    return s;
}

std::vector<uint32_t> read_weights(const Reader& r, const toml::node& v, const std::string& key) {
    const toml::array* list = v.as_array();
    if (!list) r.fail(key, "expected a list of weights, e.g. [3, 1]");
    std::vector<uint32_t> weights;
    for (size_t i = 0; i < list->size(); ++i)
        weights.push_back(static_cast<uint32_t>(r.integer(*list->get(i), key + "[" + std::to_string(i) + "]", 1, kMaxWeight)));
    return weights;
}

EgressPoolConfig read_pool(const Reader& r, const std::string& name, const toml::node& node, const std::string& key) {
    EgressPoolConfig p;
    p.name = name;
    for (auto&& [k, v] : r.table(node, key)) {
        const std::string field(k.str());
        const std::string at = key + "." + field;
        if (field == "sources") p.sources = r.strings(v, at);
        else if (field == "weights") p.weights = read_weights(r, v, at);
        else r.unknown(key + ".", field, kPoolKeys);
    }
    if (p.sources.empty()) r.fail(key, "expected sources = [...]: at least one source");
    for (size_t i = 0; i < p.sources.size(); ++i)
        if (std::count(p.sources.begin(), p.sources.end(), p.sources[i]) > 1)
            r.fail(key + ".sources", quote(p.sources[i]) + " is named twice; give it a larger weight instead");
    if (!p.weights.empty() && p.weights.size() != p.sources.size())
        r.fail(key + ".weights", "expected one weight per source (" + std::to_string(p.sources.size()) + "), got " +
                                     std::to_string(p.weights.size()));
    return p;
}

std::string write_source(const EgressSourceConfig& s) {
    std::string t = "{ address = " + toml_string(s.address);
    if (!s.ehlo.empty()) t += ", ehlo = " + toml_string(s.ehlo);
    return t + " }";
}

std::string write_pool(const EgressPoolConfig& p) {
    std::string t = "{ sources = " + toml_strings(p.sources);
    if (!p.weights.empty()) {
        std::string w;
        for (uint32_t x : p.weights) w += (w.empty() ? "" : ", ") + std::to_string(x);
        t += ", weights = [" + w + "]";
    }
    return t + " }";
}

bool has_pool(const EgressConfig& e, const std::string& name) {
    return std::any_of(e.pools.begin(), e.pools.end(), [&](const auto& p) { return p.name == name; });
}

bool has_source(const EgressConfig& e, const std::string& name) {
    return std::any_of(e.sources.begin(), e.sources.end(), [&](const auto& s) { return s.name == name; });
}

}  // namespace

void add_egress_keys(std::vector<Key>& t) {
    t.push_back(string("egress.default_pool", "the pool of mail no other rule picks; \"\" = none (the kernel's address)",
                       RP_FIELD(egress.default_pool)));
    // Tables last: a plain key after them would reopen [egress] in --defaults.
    t.push_back(named_tables("egress.sources", "NAME = { address = \"IP\", ehlo = \"name\" }: a local address to send from",
                             RP_FIELD(egress.sources), read_source, write_source));
    t.push_back(named_tables("egress.pools", "NAME = { sources = [...], weights = [...] }: sources chosen by weight",
                             RP_FIELD(egress.pools), read_pool, write_pool));
    auto pool_name = [](const Reader& r, const toml::node& v, const std::string& key) { return r.string(v, key); };
    t.push_back(domain_table("egress.sender_domains", "sender (MAIL FROM) domain = the pool of its mail",
                             RP_FIELD(egress.sender_domains), "expected a domain name as the key", pool_name));
    t.push_back(login_table("egress.users", "submission login = the pool of all of its mail", RP_FIELD(egress.users),
                            pool_name));
}

void check_egress_names(const Reader& r, const EgressConfig& e) {
    for (const auto& p : e.pools)
        for (size_t i = 0; i < p.sources.size(); ++i)
            if (!has_source(e, p.sources[i]))
                r.fail("egress.pools." + quote(p.name) + ".sources[" + std::to_string(i) + "]",
                       "unknown source " + quote(p.sources[i]) + " (not in [egress.sources])");
    auto check = [&](const std::string& key, const std::string& pool) {
        if (!has_pool(e, pool)) r.fail(key, "unknown pool " + quote(pool) + " (not in [egress.pools])");
    };
    if (!e.default_pool.empty()) check("egress.default_pool", e.default_pool);
    for (const auto& [domain, pool] : e.sender_domains) check("egress.sender_domains." + quote(domain), pool);
    for (const auto& [login, pool] : e.users) check("egress.users." + quote(login), pool);
}

}  // namespace ringpost::config
