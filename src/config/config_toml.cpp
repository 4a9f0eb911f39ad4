// load_config(): the TOML file on top of the built-in defaults. Every error
// is one line "FILE: KEY: what was expected, got WHAT" (or FILE:LINE:COLUMN
// for syntax errors), because the person reading it is editing that file.
// Unknown keys are errors so that a typo ("max_recipient") does not silently
// leave a limit at its default.
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "config/config.hpp"
#include "delivery/retry.hpp"
#include "delivery/route.hpp"
#include "util/log.hpp"

namespace ringpost::config {
namespace {

// A reply held back longer than this only ties up a connection slot.
constexpr uint32_t kMaxErrorDelayMs = 60000;

std::string quote(std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') { out += '\\'; out += static_cast<char>(c); }
        else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else out += static_cast<char>(c);
    }
    return out + "\"";
}

// What the file actually contains, for "got ..." in messages.
std::string describe(const toml::node& node) {
    if (auto s = node.as_string()) return quote(s->get());
    if (auto i = node.as_integer()) return std::to_string(i->get());
    if (auto f = node.as_floating_point()) {
        std::ostringstream os;
        os << f->get();
        return os.str();
    }
    if (auto b = node.as_boolean()) return b->get() ? "true" : "false";
    if (node.is_array()) return "an array";
    if (node.is_table()) return "a table";
    return "a date/time";
}

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1] ? 1 : 0)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

bool valid_domain_chars(std::string_view s) {
    if (s.empty() || s.size() > 253 || s.front() == '.' || s.front() == '-' || s.back() == '.') return false;
    for (unsigned char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.' || c >= 0x80;   // >= 0x80: U-labels (SMTPUTF8)
        if (!ok) return false;
    }
    return s.find("..") == std::string_view::npos;
}

class Reader {
public:
    explicit Reader(std::string file) : file_(std::move(file)) {}

    [[noreturn]] void fail(const std::string& key, const std::string& what) const {
        throw ConfigError(file_ + ": " + key + ": " + what);
    }

    void unknown(const std::string& prefix, std::string_view key,
                 std::initializer_list<std::string_view> known) const {
        std::string msg = "unknown key";
        for (auto k : known) {
            if (edit_distance(key, k) <= 2) {
                msg += " (did you mean \"" + std::string(k) + "\"?)";
                break;
            }
        }
        fail(prefix + std::string(key), msg);
    }

    const toml::table& table(const toml::node& node, const std::string& key) const {
        if (auto t = node.as_table()) return *t;
        fail(key, "expected a table, got " + describe(node));
    }

    uint64_t integer(const toml::node& node, const std::string& key, uint64_t min, uint64_t max) const {
        auto i = node.as_integer();
        if (!i || i->get() < 0 || static_cast<uint64_t>(i->get()) < min || static_cast<uint64_t>(i->get()) > max) {
            std::string expected;
            if (min == 1 && max >= UINT32_MAX) expected = "a positive integer";
            else if (min == 0 && max >= UINT32_MAX) expected = "a non-negative integer";
            else expected = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
            fail(key, "expected " + expected + ", got " + describe(node));
        }
        return static_cast<uint64_t>(i->get());
    }

    // A size in bytes where 0 turns the limit off and anything else must reach `min`.
    uint64_t zero_or_at_least(const toml::node& node, const std::string& key, uint64_t min) const {
        const uint64_t n = integer(node, key, 0, INT64_MAX);
        if (n != 0 && n < min) fail(key, "expected 0 (off) or at least " + std::to_string(min) + ", got " + describe(node));
        return n;
    }

    uint32_t u32(const toml::node& node, const std::string& key, uint32_t min, uint32_t max = UINT32_MAX) const {
        return static_cast<uint32_t>(integer(node, key, min, max));
    }

    bool boolean(const toml::node& node, const std::string& key) const {
        auto b = node.as_boolean();
        if (!b) fail(key, "expected true or false, got " + describe(node));
        return b->get();
    }

    // "none" / "may" / "encrypt" / "verify".
    std::string tls_policy(const toml::node& node, const std::string& key) const {
        std::string p = string(node, key);
        if (p != "none" && p != "may" && p != "encrypt" && p != "verify")
            fail(key, "expected one of \"none\", \"may\", \"encrypt\", \"verify\", got " + quote(p));
        return p;
    }

    void read_tls(const toml::table& t, TlsConfig& c) const {
        for (auto&& [k, v] : t) {
            std::string_view name = k.str();
            std::string key = "tls." + std::string(name);
            if (name == "cert") {
                c.cert = string(v, key);
            } else if (name == "key") {
                c.key = string(v, key);
            } else if (name == "min_version") {
                c.min_version = string(v, key);
                if (c.min_version != "TLSv1.2" && c.min_version != "TLSv1.3")
                    fail(key, "expected \"TLSv1.2\" or \"TLSv1.3\", got " + quote(c.min_version));
            } else if (name == "ciphers") {
                c.ciphers = string(v, key);
            } else if (name == "ciphersuites") {
                c.ciphersuites = string(v, key);
            } else if (name == "starttls") {
                c.starttls = boolean(v, key);
            } else {
                unknown("tls.", name, {"cert", "key", "min_version", "ciphers", "ciphersuites", "starttls"});
            }
        }
        if (c.cert.empty() != c.key.empty()) fail(c.cert.empty() ? "tls.cert" : "tls.key", "cert and key go together");
    }

    // max_connections / max_connections_per_ip, the same in every service's
    // table; false if `name` is neither.
    bool connection_limit(std::string_view name, const toml::node& v, const std::string& key,
                          uint32_t& max_connections, uint32_t& max_per_ip) const {
        if (name == "max_connections") max_connections = u32(v, key, 1);
        else if (name == "max_connections_per_ip") max_per_ip = u32(v, key, 1);
        else return false;
        return true;
    }

    void read_submission(const toml::table& t, SubmissionConfig& c) const {
        for (auto&& [k, v] : t) {
            std::string_view name = k.str();
            std::string key = "submission." + std::string(name);
            if (name == "listen") {
                c.listen = listen_list(v, key);
            } else if (name == "require_sender_match") {
                c.require_sender_match = boolean(v, key);
            } else if (!connection_limit(name, v, key, c.max_connections, c.max_connections_per_ip)) {
                unknown("submission.", name, {"listen", "require_sender_match", "max_connections",
                                              "max_connections_per_ip"});
            }
        }
    }

    void read_implicit_tls(const toml::table& t, const std::string& table_name, ImplicitTlsConfig& c) const {
        for (auto&& [k, v] : t) {
            std::string_view name = k.str();
            std::string key = table_name + "." + std::string(name);
            if (name == "listen") c.listen = listen_list(v, key);
            else unknown(table_name + ".", name, {"listen"});
        }
    }

    void read_delivery_tls(const toml::table& t, DeliveryTlsConfig& c) const {
        for (auto&& [k, v] : t) {
            std::string_view name = k.str();
            std::string key = "delivery.tls." + std::string(name);
            if (name == "default") {
                c.default_policy = tls_policy(v, key);
            } else if (name == "ca_file") {
                c.ca_file = string(v, key);
            } else if (name == "domains") {
                c.domains.clear();
                for (auto&& [domain_key, policy] : table(v, key)) {
                    std::string domain(domain_key.str());
                    std::string item_key = key + "." + quote(domain);
                    if (!valid_domain_chars(domain)) fail(item_key, "expected a domain name");
                    std::transform(domain.begin(), domain.end(), domain.begin(),
                                   [](unsigned char ch) { return static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch); });
                    c.domains.emplace_back(std::move(domain), tls_policy(policy, item_key));
                }
            } else {
                unknown("delivery.tls.", name, {"default", "ca_file", "domains"});
            }
        }
    }

    std::string string(const toml::node& node, const std::string& key) const {
        auto s = node.as_string();
        if (!s) fail(key, "expected a string, got " + describe(node));
        if (s->get().find('\0') != std::string::npos) fail(key, "must not contain NUL characters");
        return s->get();
    }

    // Lists accept a single string too: `listen = "0.0.0.0:25"` is obvious enough.
    std::vector<std::string> strings(const toml::node& node, const std::string& key) const {
        std::vector<std::string> out;
        if (node.is_string()) {
            out.push_back(string(node, key));
            return out;
        }
        auto arr = node.as_array();
        if (!arr) fail(key, "expected an array of strings, got " + describe(node));
        for (size_t i = 0; i < arr->size(); ++i)
            out.push_back(string(*arr->get(i), key + "[" + std::to_string(i) + "]"));
        return out;
    }

    // A short delay in milliseconds, up to max_ms; zero allowed. Integers
    // and floats are seconds (1, 0.25), strings "250ms" or a duration ("1s").
    uint32_t milliseconds(const toml::node& node, const std::string& key, uint32_t max_ms) const {
        const std::string expected = "expected a delay from 0 to " + std::to_string(max_ms / 1000) +
                                     " seconds (seconds, or a string like \"250ms\", \"1s\"), got " + describe(node);
        double ms = -1;
        if (auto i = node.as_integer()) {
            ms = i->get() < 0 ? -1 : static_cast<double>(i->get()) * 1000;
        } else if (auto f = node.as_floating_point()) {
            ms = f->get() * 1000;   // NaN fails the range check below
        } else if (auto s = node.as_string()) {
            std::string_view text = s->get();
            uint32_t secs = 0;
            if (text.size() > 2 && text.substr(text.size() - 2) == "ms") {
                std::string_view digits = text.substr(0, text.size() - 2);
                uint64_t n = 0;
                bool ok = digits.size() <= 9;
                for (char c : digits) {
                    if (c < '0' || c > '9') ok = false;
                    else n = n * 10 + static_cast<uint64_t>(c - '0');
                }
                if (ok) ms = static_cast<double>(n);
            } else if (parse_duration(text, secs)) {
                ms = static_cast<double>(secs) * 1000;
            }
        }
        if (!(ms >= 0 && ms <= max_ms)) fail(key, expected);
        return static_cast<uint32_t>(ms + 0.5);   // 0.29 s is 290 ms, not 289.99...
    }

    // Integers are seconds; strings take s/m/h/d suffixes ("5m", "1h30m").
    uint32_t duration(const toml::node& node, const std::string& key, bool allow_zero) const {
        uint32_t secs = 0;
        const char* expected = allow_zero ? "expected a duration (seconds, or a string like \"30s\", \"5m\", \"1h\")"
                                          : "expected a positive duration (seconds, or a string like \"30s\", \"5m\", \"1h\")";
        if (auto i = node.as_integer()) {
            if (i->get() < 0 || i->get() > static_cast<int64_t>(UINT32_MAX)) fail(key, std::string(expected) + ", got " + describe(node));
            secs = static_cast<uint32_t>(i->get());
        } else if (auto s = node.as_string()) {
            if (!parse_duration(s->get(), secs)) fail(key, std::string(expected) + ", got " + describe(node));
        } else {
            fail(key, std::string(expected) + ", got " + describe(node));
        }
        if (secs == 0 && !allow_zero) fail(key, std::string(expected) + ", got " + describe(node));
        return secs;
    }

    void read_smtp(const toml::table& t, SmtpConfig& smtp) const {
        bool hard_error_limit_set = false;
        bool inflight_per_ip_set = false;
        for (auto&& [k, v] : t) {
            std::string_view name = k.str();
            std::string key = "smtp." + std::string(name);
            if (name == "listen") {
                auto list = strings(v, key);
                if (list.empty()) fail(key, "expected at least one address");
                smtp.listen.clear();
                for (size_t i = 0; i < list.size(); ++i) {
                    try {
                        smtp.listen.push_back(parse_listen(list[i]));
                    } catch (const ConfigError& e) {
                        fail(key + "[" + std::to_string(i) + "]", e.what());
                    }
                }
            } else if (name == "max_message_size") {
                smtp.max_message_size = integer(v, key, 1, UINT32_MAX);
            } else if (name == "max_recipients") {
                smtp.max_recipients = u32(v, key, 1);
            } else if (connection_limit(name, v, key, smtp.max_connections, smtp.max_connections_per_ip)) {
                // max_connections, max_connections_per_ip: read
            } else if (name == "soft_error_limit") {
                smtp.soft_error_limit = u32(v, key, 1);
            } else if (name == "hard_error_limit" || name == "max_bad_commands") {
                // max_bad_commands: the name before Postfix's other limits came along.
                if (hard_error_limit_set) fail(key, "hard_error_limit and max_bad_commands are one setting; give one");
                hard_error_limit_set = true;
                smtp.hard_error_limit = u32(v, key, 1);
            } else if (name == "junk_command_limit") {
                smtp.junk_command_limit = u32(v, key, 1);
            } else if (name == "error_delay") {
                smtp.error_delay_ms = milliseconds(v, key, kMaxErrorDelayMs);
            } else if (name == "max_command_line") {
                // RFC 5321 4.5.3.1.4 minimum; the maximum is the SMTP driver's input buffer.
                smtp.max_command_line = u32(v, key, 512, 8192);
            } else if (name == "max_data_line") {
                smtp.max_data_line = u32(v, key, 1000);     // RFC 5321 4.5.3.1.6 minimum
            } else if (name == "command_timeout") {
                smtp.command_timeout = duration(v, key, false);
            } else if (name == "data_timeout") {
                smtp.data_timeout = duration(v, key, false);
            } else if (name == "min_data_rate") {
                smtp.min_data_rate = u32(v, key, 0);
            } else if (name == "max_inflight_bytes") {
                // An eighth of it (the default share) must hold a reservation chunk.
                smtp.max_inflight_bytes = zero_or_at_least(v, key, kInflightPerIpDivisor * kMinInflightShare);
            } else if (name == "max_inflight_bytes_per_ip") {
                smtp.max_inflight_bytes_per_ip = zero_or_at_least(v, key, kMinInflightShare);
                inflight_per_ip_set = true;
            } else if (name == "shutdown_grace") {
                smtp.shutdown_grace = duration(v, key, true);
            } else if (name == "allow_plaintext_auth") {
                smtp.allow_plaintext_auth = boolean(v, key);
            } else {
                unknown("smtp.", name, {"listen", "max_message_size", "max_recipients", "max_connections",
                                        "max_connections_per_ip", "soft_error_limit", "hard_error_limit",
                                        "junk_command_limit", "error_delay", "max_command_line",
                                        "max_data_line", "command_timeout", "data_timeout", "min_data_rate", "shutdown_grace",
                                        "allow_plaintext_auth", "max_inflight_bytes", "max_inflight_bytes_per_ip"});
            }
        }
        if (!inflight_per_ip_set) smtp.max_inflight_bytes_per_ip = smtp.max_inflight_bytes / kInflightPerIpDivisor;
    }

    void read_relay(const toml::table& t, RelayConfig& relay) const {
        for (auto&& [k, v] : t) {
            std::string_view name = k.str();
            std::string key = "relay." + std::string(name);
            if (name == "local_domains") {
                auto list = strings(v, key);
                relay.local_domains.clear();
                for (size_t i = 0; i < list.size(); ++i) {
                    std::string d = list[i];
                    if (!valid_domain_chars(d))
                        fail(key + "[" + std::to_string(i) + "]", "expected a domain name, got " + quote(d));
                    // Domains compare case-insensitively (RFC 5321 2.4); store one form.
                    std::transform(d.begin(), d.end(), d.begin(),
                                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
                    relay.local_domains.push_back(std::move(d));
                }
            } else if (name == "relay_networks") {
                auto list = strings(v, key);
                relay.relay_networks.clear();
                for (size_t i = 0; i < list.size(); ++i) {
                    try {
                        relay.relay_networks.push_back(parse_network(list[i]));
                    } catch (const ConfigError& e) {
                        fail(key + "[" + std::to_string(i) + "]", e.what());
                    }
                }
            } else {
                unknown("relay.", name, {"local_domains", "relay_networks"});
            }
        }
    }

    void read_delivery(const toml::table& t, DeliveryConfig& d) const {
        for (auto&& [k, v] : t) {
            std::string_view name = k.str();
            std::string key = "delivery." + std::string(name);
            if (name == "dns_servers") {
                d.dns_servers = strings(v, key);
                for (size_t i = 0; i < d.dns_servers.size(); ++i) {
                    std::string item_key = key + "[" + std::to_string(i) + "]";
                    auto route = delivery::parse_route(d.dns_servers[i]);
                    uint8_t ip[16];
                    if (!route) fail(item_key, route.error().message);
                    if (!parse_ip(route->host, ip))
                        fail(item_key, "expected an IP address with an optional port, got " + quote(d.dns_servers[i]));
                }
            } else if (name == "remote_port") {
                d.remote_port = static_cast<uint16_t>(integer(v, key, 1, 65535));
            } else if (name == "retry_schedule") {
                auto list = strings(v, key);
                if (list.empty()) fail(key, "expected at least one duration");
                auto parsed = delivery::RetrySchedule::parse(list);
                if (!parsed) fail(key, parsed.error().message);
                d.retry_schedule = list;
            } else if (name == "max_queue_lifetime") {
                d.max_queue_lifetime = duration(v, key, false);
            } else if (name == "max_connections_per_destination") {
                d.max_connections_per_destination = u32(v, key, 1, 10000);
            } else if (name == "max_connections_per_host") {
                d.max_connections_per_host = u32(v, key, 1, 100000);
            } else if (name == "max_messages_per_connection") {
                d.max_messages_per_connection = u32(v, key, 1);
            } else if (name == "connect_timeout") {
                d.connect_timeout = duration(v, key, false);
            } else if (name == "idle_timeout") {
                d.idle_timeout = duration(v, key, true);
            } else if (name == "delay_warning") {
                d.delay_warning = duration(v, key, true);
            } else if (name == "max_hops") {
                d.max_hops = u32(v, key, 1, 10000);
            } else if (name == "tls") {
                read_delivery_tls(table(v, key), d.tls);
            } else if (name == "routes") {
                d.routes.clear();
                for (auto&& [domain_key, hop] : table(v, key)) {
                    std::string domain(domain_key.str());
                    std::string route_key = key + "." + quote(domain);
                    if (!valid_domain_chars(domain)) fail(route_key, "expected a domain name as the key");
                    std::transform(domain.begin(), domain.end(), domain.begin(),
                                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
                    std::string text = string(hop, route_key);
                    if (auto parsed = delivery::parse_route(text); !parsed) fail(route_key, parsed.error().message);
                    d.routes.emplace_back(std::move(domain), std::move(text));
                }
            } else {
                unknown("delivery.", name, {"dns_servers", "remote_port", "retry_schedule", "max_queue_lifetime",
                                            "max_connections_per_destination", "max_connections_per_host",
                                            "max_messages_per_connection",
                                            "connect_timeout", "idle_timeout", "delay_warning", "max_hops", "routes",
                                            "tls"});
            }
        }
    }

    std::vector<ListenAddress> listen_list(const toml::node& v, const std::string& key) const {
        auto list = strings(v, key);
        std::vector<ListenAddress> out;
        for (size_t i = 0; i < list.size(); ++i) {
            try {
                out.push_back(parse_listen(list[i]));
            } catch (const ConfigError& e) {
                fail(key + "[" + std::to_string(i) + "]", e.what());
            }
        }
        return out;
    }

    void read_pop3(const toml::table& t, Pop3Config& p) const {
        for (auto&& [k, v] : t) {
            std::string_view name = k.str();
            std::string key = "pop3." + std::string(name);
            if (name == "listen") {
                p.listen = listen_list(v, key);   // an empty list turns POP3 off
            } else if (name == "idle_timeout") {
                p.idle_timeout = duration(v, key, false);
            } else if (name == "max_bad_commands") {
                p.max_bad_commands = u32(v, key, 1);
            } else if (name == "max_auth_failures") {
                p.max_auth_failures = u32(v, key, 1);
            } else if (!connection_limit(name, v, key, p.max_connections, p.max_connections_per_ip)) {
                unknown("pop3.", name, {"listen", "idle_timeout", "max_bad_commands", "max_auth_failures",
                                        "max_connections", "max_connections_per_ip"});
            }
        }
    }

    void read_imap(const toml::table& t, ImapConfig& c) const {
        for (auto&& [k, v] : t) {
            std::string_view name = k.str();
            std::string key = "imap." + std::string(name);
            if (name == "listen") {
                c.listen = listen_list(v, key);   // an empty list turns IMAP off
            } else if (name == "idle_timeout") {
                c.idle_timeout = duration(v, key, false);
                if (c.idle_timeout < 1800) fail(key, "must be at least 30m (RFC 3501 5.4)");
            } else if (name == "max_bad_commands") {
                c.max_bad_commands = u32(v, key, 1);
            } else if (name == "command_time_limit") {
                c.command_time_limit = duration(v, key, true);
            } else if (!connection_limit(name, v, key, c.max_connections, c.max_connections_per_ip)) {
                unknown("imap.", name, {"listen", "idle_timeout", "max_bad_commands", "command_time_limit",
                                        "max_connections", "max_connections_per_ip"});
            }
        }
    }

    // Bytes: an integer, or a string like "256M", "1GiB".
    uint64_t byte_size(const toml::node& node, const std::string& key) const {
        uint64_t bytes = 0;
        if (auto i = node.as_integer(); i && i->get() >= 0) return static_cast<uint64_t>(i->get());
        if (auto s = node.as_string(); s && parse_byte_size(s->get(), bytes)) return bytes;
        fail(key, "expected a size in bytes (an integer, or a string like \"512K\", \"256M\", \"1G\"), got " +
                      describe(node));
    }

    void read_store(const toml::table& t, StoreConfig& c) const {
        for (auto&& [k, v] : t) {
            std::string_view name = k.str();
            std::string key = "store." + std::string(name);
            if (name == "min_free_space") {
                c.min_free_space = byte_size(v, key);
            } else {
                unknown("store.", name, {"min_free_space"});
            }
        }
    }

    void read_log(const toml::table& t, LogConfig& logc) const {
        for (auto&& [k, v] : t) {
            std::string_view name = k.str();
            std::string key = "log." + std::string(name);
            if (name == "level") {
                std::string s = string(v, key);
                log::Level lvl;
                if (!log::parse_level(s, lvl))
                    fail(key, "expected one of \"error\", \"warn\", \"info\", \"debug\", got " + quote(s));
                logc.level = s;
            } else {
                unknown("log.", name, {"level"});
            }
        }
    }

private:
    std::string file_;
};

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(path + ": cannot read: " + std::strerror(errno));
    std::ostringstream os;
    os << in.rdbuf();
    if (in.bad()) throw ConfigError(path + ": cannot read: " + std::strerror(errno));
    return os.str();
}

}  // namespace

Config load_config(const std::string& path) { return parse_config(read_file(path), path); }

Config parse_config(std::string_view text, const std::string& path) {
    toml::table root;
    try {
        root = toml::parse(text, path);
    } catch (const toml::parse_error& e) {
        const auto& at = e.source().begin;
        std::string what(e.description());
        std::replace(what.begin(), what.end(), '\n', ' ');
        throw ConfigError(path + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) + ": " + what);
    }

    Reader r(path);
    Config c = default_config();
    c.source = path;
    bool admin_socket_set = false;
    for (auto&& [k, v] : root) {
        std::string_view name = k.str();
        std::string key(name);
        if (name == "hostname") {
            c.hostname = r.string(v, key);
            if (!valid_domain_chars(c.hostname)) r.fail(key, "expected a host name, got " + quote(c.hostname));
        } else if (name == "data_dir") {
            c.data_dir = r.string(v, key);
            if (c.data_dir.empty()) r.fail(key, "expected a directory path, got \"\"");
        } else if (name == "threads") {
            c.threads = r.u32(v, key, 0, 1024);
        } else if (name == "pool_nice") {
            c.pool_nice = r.u32(v, key, 0, 19);
        } else if (name == "admin_socket") {
            c.admin_socket = r.string(v, key);
            if (c.admin_socket.empty()) r.fail(key, "expected a socket path, got \"\"");
            admin_socket_set = true;
        } else if (name == "smtp") {
            r.read_smtp(r.table(v, key), c.smtp);
        } else if (name == "relay") {
            r.read_relay(r.table(v, key), c.relay);
        } else if (name == "pop3") {
            r.read_pop3(r.table(v, key), c.pop3);
        } else if (name == "imap") {
            r.read_imap(r.table(v, key), c.imap);
        } else if (name == "delivery") {
            r.read_delivery(r.table(v, key), c.delivery);
        } else if (name == "log") {
            r.read_log(r.table(v, key), c.log);
        } else if (name == "store") {
            r.read_store(r.table(v, key), c.store);
        } else if (name == "tls") {
            r.read_tls(r.table(v, key), c.tls);
        } else if (name == "submission") {
            r.read_submission(r.table(v, key), c.submission);
        } else if (name == "smtps" || name == "pop3s" || name == "imaps") {
            ImplicitTlsConfig& it = name == "smtps" ? c.smtps : name == "pop3s" ? c.pop3s : c.imaps;
            r.read_implicit_tls(r.table(v, key), key, it);
        } else {
            r.unknown("", name, {"hostname", "data_dir", "threads", "pool_nice", "admin_socket", "smtp", "relay", "log",
                                 "delivery", "pop3", "imap", "store", "tls", "submission", "smtps", "pop3s",
                                 "imaps"});
        }
    }
    if (!admin_socket_set) c.admin_socket = c.data_dir + "/admin.sock";
    // sun_path is 108 bytes on Linux; a longer path fails only at bind time,
    // far from the file that caused it, so check here.
    if (c.admin_socket.size() >= sizeof(sockaddr_un{}.sun_path))
        r.fail("admin_socket", "path " + quote(c.admin_socket) + " is too long for a unix socket (max " +
                                   std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes)" +
                                   (admin_socket_set ? "" : "; set admin_socket to a shorter path"));
    return c;
}

}  // namespace ringpost::config
