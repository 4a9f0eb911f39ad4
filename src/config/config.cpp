// Built-in defaults, the default file lookup, duration parsing and the
// check-config summary. The TOML reader itself lives in config_toml.cpp.
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <filesystem>

#include "config/config.hpp"

#include "config/bounce_rules.hpp"
#include "util/duration.hpp"

namespace ringpost::config {

uint64_t default_max_inflight_bytes() {
    constexpr uint64_t kMiB = 1024 * 1024;
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page_size = sysconf(_SC_PAGESIZE);
    const uint64_t phys = pages > 0 && page_size > 0 ? uint64_t(pages) * uint64_t(page_size) : 1024 * kMiB;
    return std::clamp<uint64_t>(phys / 4, 64 * kMiB, 2048 * kMiB);
}

Config default_config() {
    Config c;
    char name[HOST_NAME_MAX + 1] = {};
    if (gethostname(name, sizeof name - 1) == 0 && name[0] != '\0') c.hostname = name;
    else c.hostname = "localhost";
    c.smtp.listen.push_back(parse_listen("127.0.0.1:2525"));
    c.pop3.listen.push_back(parse_listen("127.0.0.1:1100"));
    c.imap.listen.push_back(parse_listen("127.0.0.1:1430"));
    c.submission.listen.push_back(parse_listen("127.0.0.1:5870"));
    c.smtps.listen.push_back(parse_listen("127.0.0.1:4650"));
    c.pop3s.listen.push_back(parse_listen("127.0.0.1:9950"));
    c.imaps.listen.push_back(parse_listen("127.0.0.1:9930"));
    c.http.listen.push_back(parse_listen("127.0.0.1:8025"));
    c.relay.local_domains = {"localhost"};
    c.relay.relay_networks = {parse_network("127.0.0.0/8"), parse_network("::1/128")};
    c.admin_socket = c.data_dir + "/admin.sock";
    c.dkim.key_dir = c.data_dir + "/dkim";
    c.source = "built-in defaults";
    return c;
}

Config load_config_or_default(const std::string& path_or_empty) {
    if (!path_or_empty.empty()) return load_config(path_or_empty);
    std::error_code ec;
    if (std::filesystem::exists("ringpost.toml", ec)) return load_config("ringpost.toml");
    return default_config();
}

namespace {
std::string joined(const std::vector<std::string>& items, const char* separator = " ") {
    std::string s;
    for (const auto& i : items) s += (s.empty() ? "" : separator) + i;
    return s;
}
}  // namespace

std::vector<std::string> proxy_protocol_listeners(const Config& c) {
    const std::pair<const char*, bool> listeners[] = {
        {"smtp", c.smtp.proxy_protocol},   {"pop3", c.pop3.proxy_protocol},   {"imap", c.imap.proxy_protocol},
        {"submission", c.submission.proxy_protocol}, {"smtps", c.smtps.proxy_protocol},
        {"pop3s", c.pop3s.proxy_protocol}, {"imaps", c.imaps.proxy_protocol}, {"http", c.http.proxy_protocol}};
    std::vector<std::string> out;
    for (const auto& [table, on] : listeners)
        if (on) out.push_back(table);
    return out;
}

std::string describe_config(const Config& c) {
    std::vector<std::string> listen, nets;
    for (const auto& l : c.smtp.listen) listen.push_back(l.text);
    for (const auto& n : c.relay.relay_networks) nets.push_back(n.text);
    std::string s;
    s += "hostname: " + c.hostname + "\n";
    s += "listen: " + joined(listen) + "\n";
    std::vector<std::string> pop3;
    for (const auto& l : c.pop3.listen) pop3.push_back(l.text);
    s += "pop3_listen: " + (pop3.empty() ? std::string("(none)") : joined(pop3)) + "\n";
    std::vector<std::string> imap;
    for (const auto& l : c.imap.listen) imap.push_back(l.text);
    s += "imap_listen: " + (imap.empty() ? std::string("(none)") : joined(imap)) + "\n";
    auto listens = [](const std::vector<ListenAddress>& l) {
        std::vector<std::string> t;
        for (const auto& a : l) t.push_back(a.text);
        return t.empty() ? std::string("(none)") : joined(t);
    };
    s += "submission_listen: " + listens(c.submission.listen) + "\n";
    s += "smtps_listen: " + listens(c.smtps.listen) + "\n";
    s += "pop3s_listen: " + listens(c.pop3s.listen) + "\n";
    s += "imaps_listen: " + listens(c.imaps.listen) + "\n";
    s += "http_listen: " + listens(c.http.listen) + (c.http.tls ? " (https)" : "") + "\n";
    s += "http_tokens_file: " + (c.http.tokens_file.empty() ? std::string("(none: relay_networks only)") : c.http.tokens_file) + "\n";
    s += "tls_cert: " + (c.tls.cert.empty() ? std::string("(self-signed in data_dir/tls)") : c.tls.cert) + "\n";
    s += "data_dir: " + c.data_dir + "\n";
    s += "admin_socket: " + c.admin_socket + "\n";
    s += "min_free_space: " + std::to_string(c.store.min_free_space) + "\n";
    s += "local_domains: " + joined(c.relay.local_domains) + "\n";
    s += "relay_networks: " + (nets.empty() ? std::string("(none)") : joined(nets)) + "\n";
    std::vector<std::string> proxies;
    for (const auto& n : c.proxy_networks) proxies.push_back(n.text);
    const auto proxied = proxy_protocol_listeners(c);
    s += "proxy_protocol: " +
         (proxied.empty() ? std::string("(none)") : joined(proxied, ",") + " from " + joined(proxies)) + "\n";
    const auto& d = c.delivery;
    s += "dns_servers: " + (d.dns_servers.empty() ? std::string("(from /etc/resolv.conf)") : joined(d.dns_servers)) + "\n";
    s += "remote_port: " + std::to_string(d.remote_port) + "\n";
    s += "retry_schedule: " + joined(d.retry_schedule) + "\n";
    std::vector<std::string> routes;
    for (const auto& [domain, hop] : d.routes) routes.push_back(domain + "=" + hop);
    s += "routes: " + (routes.empty() ? std::string("(none)") : joined(routes)) + "\n";
    std::vector<std::string> signing;
    for (const auto& [domain, selectors] : c.dkim.domains) signing.push_back(domain + "=" + joined(selectors, ","));
    s += "dkim: " + (signing.empty() ? std::string("(none)") : joined(signing) + " sign=" + c.dkim.sign) + "\n";
    const auto rules = [](size_t n) { return std::to_string(n) + (n == 1 ? " rule" : " rules"); };
    const std::string builtin = rules(default_bounce_rules().size()) + " built in";
    s += "bounce_rules: " +
         (d.bounce_rules.empty() ? builtin
                                 : d.bounce_rules + " (" + rules(d.bounce_rule_specs.size()) + "), then " + builtin) +
         "\n";
    std::vector<std::string> pools;
    for (const auto& p : c.egress.pools) pools.push_back(p.name + "=" + joined(p.sources, ","));
    s += "egress_pools: " + (pools.empty() ? std::string("(none)") : joined(pools)) + "\n";
    s += "egress_default_pool: " + (c.egress.default_pool.empty() ? std::string("(none)") : c.egress.default_pool) + "\n";
    return s;
}

// The format lives in util (shared with the delivery engine's schedules).
bool parse_duration(std::string_view text, uint32_t& seconds) {
    auto parsed = util::parse_duration(text);
    if (!parsed) return false;
    seconds = static_cast<uint32_t>(parsed->count());
    return true;
}

bool parse_byte_size(std::string_view text, uint64_t& bytes) {
    size_t digits = 0;
    uint64_t n = 0;
    for (; digits < text.size() && text[digits] >= '0' && text[digits] <= '9'; ++digits) {
        if (n > (uint64_t{1} << 62) / 10) return false;
        n = n * 10 + static_cast<uint64_t>(text[digits] - '0');
    }
    if (digits == 0) return false;
    std::string_view unit = text.substr(digits);
    if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.remove_suffix(1);   // "MB", "MiB", "B"
    if (unit.size() == 2 && unit[1] == 'i') unit.remove_suffix(1);                          // "Mi"
    unsigned shift = 0;
    if (unit.size() > 1) return false;
    if (!unit.empty()) {
        switch (unit[0]) {
            case 'k': case 'K': shift = 10; break;
            case 'm': case 'M': shift = 20; break;
            case 'g': case 'G': shift = 30; break;
            case 't': case 'T': shift = 40; break;
            default: return false;
        }
    }
    if (n > (uint64_t{1} << (63 - shift))) return false;
    bytes = n << shift;
    return true;
}

}  // namespace ringpost::config
