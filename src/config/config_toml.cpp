// parse_config(): the TOML file on top of the built-in defaults, walked with
// the key table (keys.hpp). Every error is one line "FILE: KEY: what was
// expected, got WHAT" (or FILE:LINE:COLUMN for syntax errors), because the
// person reading it is editing that file. Unknown keys are errors so that a
// typo ("max_recipient") does not silently leave a limit at its default.
#include <sys/un.h>

#include <algorithm>
#include <set>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "config/keys.hpp"
#include "config/keys_egress.hpp"
#include "config/toml_reader.hpp"

namespace ringpost::config {
namespace {

// The canonical names of the keys the file gave, for the rules below.
using Given = std::set<std::string>;

bool is_table_prefix(const std::string& name) {
    const std::string prefix = name + ".";
    return std::any_of(keys().begin(), keys().end(), [&](const Key& k) { return k.name.starts_with(prefix); });
}

// "hard_error_limit and max_bad_commands are one setting; give one".
[[noreturn]] void fail_both_names(const Reader& r, const std::string& key, const std::string& canonical) {
    auto last = [](const std::string& name) { return name.substr(name.rfind('.') + 1); };
    std::string old;
    for (const Key& k : keys())
        if (k.alias_of == canonical) old = k.name;
    r.fail(key, last(canonical) + " and " + last(old) + " are one setting; give one");
}

// One table of the file: each entry is a key, or a table of keys.
void read_table(const Reader& r, const toml::table& table, const std::string& prefix, Config& c, Given& given) {
    for (auto&& [k, v] : table) {
        const std::string name = prefix + std::string(k.str());
        if (const Key* key = find_key(name)) {
            const std::string& canonical = key->alias_of.empty() ? key->name : key->alias_of;
            if (given.count(canonical)) fail_both_names(r, name, canonical);
            key->read(r, v, name, c);
            given.insert(canonical);
        } else if (is_table_prefix(name)) {
            read_table(r, r.table(v, name), name + ".", c, given);
        } else {
            r.unknown(prefix, k.str(), names_under(prefix));
        }
    }
}

// A user's signing domain must have keys.
void check_dkim_users(const Reader& r, const DkimConfig& dkim) {
    // No structured binding here: clang 14 (the fuzz build) cannot capture one in a lambda.
    for (const auto& entry : dkim.users) {
        const std::string& domain = entry.second;
        const bool known = std::any_of(dkim.domains.begin(), dkim.domains.end(),
                                       [&domain](const auto& d) { return d.first == domain; });
        if (!known)
            r.fail("dkim.users." + quote(entry.first), "domain " + quote(domain) + " has no keys in [dkim.domains]");
    }
}

// DMARC decides from SPF's and DKIM's results: without one of them every
// message would seem to fail it.
void check_dmarc_inputs(const Reader& r, const Config& c) {
    if (c.inbound.dmarc != "off" && (c.inbound.spf == "off" || c.inbound.dkim == "off"))
        r.fail("inbound.dmarc", "needs inbound.spf and inbound.dkim on (DMARC decides from their results)");
}

// A PROXY header is believed only from proxy_networks: with none, every
// connection to such a listener would be closed.
void check_proxy_protocol(const Reader& r, const Config& c) {
    const auto proxied = proxy_protocol_listeners(c);
    if (!proxied.empty() && c.proxy_networks.empty())
        r.fail(proxied.front() + ".proxy_protocol",
               "needs proxy_networks, the addresses of the load balancers that send the header");
}

// The rules between keys, and the defaults that follow other keys.
void finish(const Reader& r, Config& c, const Given& given) {
    if (!given.count("smtp.max_inflight_bytes_per_ip"))
        c.smtp.max_inflight_bytes_per_ip = c.smtp.max_inflight_bytes / kInflightPerIpDivisor;
    if (!given.count("http.max_body_size")) c.http.max_body_size = default_http_max_body_size(c.smtp.max_message_size);
    if (c.tls.cert.empty() != c.tls.key.empty()) r.fail(c.tls.cert.empty() ? "tls.cert" : "tls.key", "cert and key go together");
    if (c.imap.idle_timeout < 1800) r.fail("imap.idle_timeout", "must be at least 30m (RFC 3501 5.4)");
    if (!given.count("dkim.key_dir")) c.dkim.key_dir = c.data_dir + "/dkim";
    check_dkim_users(r, c.dkim);
    check_egress_names(r, c.egress);
    check_proxy_protocol(r, c);
    check_dmarc_inputs(r, c);
    if (c.greylist.retry_window_ms <= c.greylist.delay_ms)
        r.fail("greylist.retry_window", "must be longer than greylist.delay (a retry must have time to come)");
    const bool admin_socket_set = given.count("admin_socket") > 0;
    if (!admin_socket_set) c.admin_socket = c.data_dir + "/admin.sock";
    // sun_path is 108 bytes on Linux; a longer path fails only at bind time,
    // far from the file that caused it, so check here.
    if (c.admin_socket.size() >= sizeof(sockaddr_un{}.sun_path))
        r.fail("admin_socket", "path " + quote(c.admin_socket) + " is too long for a unix socket (max " +
                                   std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes)" +
                                   (admin_socket_set ? "" : "; set admin_socket to a shorter path"));
}

}  // namespace

Config load_config(const std::string& path) { return parse_config(read_text_file(path), path); }

Config parse_config(std::string_view text, const std::string& path) {
    const toml::table root = parse_toml(text, path);
    Reader r(path);
    Config c = default_config();
    c.source = path;
    Given given;
    read_table(r, root, "", c, given);
    finish(r, c, given);
    return c;
}

}  // namespace ringpost::config
