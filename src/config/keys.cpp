// The table of configuration keys (keys.hpp says what an entry holds). The
// order here is the order of `ringpost check-config --defaults` and of the
// "did you mean" candidates.
#include "config/keys.hpp"

#include <cstdio>

#include <algorithm>

#include "config/bounce_rules.hpp"
#include "config/key_kinds.hpp"
#include "config/keys_dkim.hpp"
#include "config/keys_egress.hpp"
#include "config/keys_milter.hpp"
#include "config/keys_inbound.hpp"
#include "config/keys_events.hpp"
#include "config/keys_greylist.hpp"
#include "config/keys_screen.hpp"
#include "config/keys_shaping.hpp"
#include "delivery/retry.hpp"
#include "delivery/route.hpp"

namespace ringpost::config {
namespace {

using namespace kinds;

// A reply held back longer than this only ties up a connection slot.
constexpr uint32_t kMaxErrorDelayMs = 60000;

const std::vector<std::string_view> kTlsPolicies = {"none", "may", "encrypt", "verify"};

Check not_empty(std::string what) {
    return [what](const Reader& r, const std::string& key, const std::string& value) {
        if (value.empty()) r.fail(key, "expected " + what + ", got \"\"");
    };
}

void add_top_level(std::vector<Key>& t) {
    Key hostname = string("hostname", "the name in the greeting, Received: lines, DSNs and the self-signed certificate",
                          RP_FIELD(hostname), [](const Reader& r, const std::string& key, const std::string& value) {
                              if (!valid_domain_chars(value)) r.fail(key, "expected a host name, got " + quote(value));
                          });
    hostname.computed = "this machine's name (gethostname()), \"localhost\" if it has none";
    t.push_back(std::move(hostname));
    t.push_back(string("data_dir", "the database, the generated TLS pair and the admin socket live here",
                       RP_FIELD(data_dir), not_empty("a directory path")));
    t.push_back(integer("threads", "worker threads, one io_uring ring each; 0 = one per core", RP_FIELD(threads), 0, 1024));
    t.push_back(integer("pool_nice", "nice value (0-19) of the store/login pool threads; 0 = as the rings",
                        RP_FIELD(pool_nice), 0, 19));
    Key admin = string("admin_socket", "unix socket for the CLI's user/queue/mailbox commands while the server runs",
                       RP_FIELD(admin_socket), not_empty("a socket path"));
    admin.computed = "<data_dir>/admin.sock";
    t.push_back(std::move(admin));
    t.push_back(networks("proxy_networks",
                         "load balancers (CIDR) that may send a PROXY protocol header to proxy_protocol listeners",
                         RP_FIELD(proxy_networks)));
}

// proxy_protocol, the same in every listener's table (docs/INBOUND.md).
template <class S>
void add_proxy_protocol(std::vector<Key>& t, const std::string& table, S service) {
    t.push_back(boolean(table + ".proxy_protocol",
                        "connections start with a PROXY protocol header (v1 or v2) from proxy_networks",
                        [service](auto& c) -> auto& { return service(c).proxy_protocol; }));
}

// max_connections / max_connections_per_ip, the same in every service's table.
template <class S>
void add_connection_limits(std::vector<Key>& t, const std::string& table, S service, const std::string& which) {
    t.push_back(integer(table + ".max_connections", "connections at once to " + which,
                        [service](auto& c) -> auto& { return service(c).max_connections; }, 1));
    t.push_back(integer(table + ".max_connections_per_ip", "connections at once from one client address to " + which,
                        [service](auto& c) -> auto& { return service(c).max_connections_per_ip; }, 1));
}

void add_smtp(std::vector<Key>& t) {
    t.push_back(listen("smtp.listen", "SMTP (port 25) listen addresses, \"host:port\" or \"[v6]:port\"",
                       RP_FIELD(smtp.listen), true));
    t.push_back(integer("smtp.max_message_size", "largest message in bytes (SIZE)", RP_FIELD(smtp.max_message_size), 1));
    t.push_back(integer("smtp.max_recipients", "recipients per message", RP_FIELD(smtp.max_recipients), 1));
    add_connection_limits(t, "smtp", RP_FIELD(smtp), "port 25 (each service has its own)");
    t.push_back(integer("smtp.soft_error_limit", "errors, then every reply waits error_delay",
                        RP_FIELD(smtp.soft_error_limit), 1));
    t.push_back(integer("smtp.hard_error_limit", "errors, then 421 4.7.0 and hang up (old name: max_bad_commands)",
                        RP_FIELD(smtp.hard_error_limit), 1));
    Key old = integer("smtp.max_bad_commands", "old name of hard_error_limit", RP_FIELD(smtp.hard_error_limit), 1);
    old.alias_of = "smtp.hard_error_limit";
    t.push_back(std::move(old));
    t.push_back(integer("smtp.junk_command_limit", "NOOP/RSET/VRFY/HELP allowed; each one beyond is an error",
                        RP_FIELD(smtp.junk_command_limit), 1));
    t.push_back(delay("smtp.error_delay", "how long each reply waits past soft_error_limit (\"250ms\", \"1s\"); 0 = none",
                      RP_FIELD(smtp.error_delay_ms), kMaxErrorDelayMs));
    // RFC 5321 4.5.3.1.4 minimum; the maximum is the SMTP driver's input buffer.
    t.push_back(integer("smtp.max_command_line", "bytes per command line; longer lines get 500 5.5.2 and are skipped",
                        RP_FIELD(smtp.max_command_line), 512, 8192));
    t.push_back(integer("smtp.max_data_line", "bytes per message line (at least 1000); longer fails the message",
                        RP_FIELD(smtp.max_data_line), 1000));   // RFC 5321 4.5.3.1.6 minimum
    t.push_back(duration("smtp.command_timeout", "deadline for one command line (RFC 5321 4.5.3.2.7)",
                         RP_FIELD(smtp.command_timeout), false));
    t.push_back(duration("smtp.data_timeout", "longest wait between data blocks (RFC 5321 4.5.3.2.5)",
                         RP_FIELD(smtp.data_timeout), false));
    t.push_back(integer("smtp.min_data_rate", "bytes/s DATA/BDAT must keep up; 0 = off", RP_FIELD(smtp.min_data_rate), 0));
    t.push_back(duration("smtp.shutdown_grace", "on SIGTERM, how long transactions in progress may finish",
                         RP_FIELD(smtp.shutdown_grace), true));
    t.push_back(boolean("smtp.allow_plaintext_auth", "offer AUTH without TLS too (tests on loopback)",
                        RP_FIELD(smtp.allow_plaintext_auth)));
    add_proxy_protocol(t, "smtp", RP_FIELD(smtp));
    // An eighth of it (the default share) must hold a reservation chunk.
    Key total = zero_or_at_least("smtp.max_inflight_bytes",
                                 "message bytes all SMTP sessions may hold in memory, then they are not read; 0 = off",
                                 RP_FIELD(smtp.max_inflight_bytes), kInflightPerIpDivisor * kMinInflightShare);
    total.computed = "a quarter of physical memory, at least 64 MiB and at most 2 GiB";
    t.push_back(std::move(total));
    Key per_ip = zero_or_at_least("smtp.max_inflight_bytes_per_ip", "one client address's share of max_inflight_bytes",
                                  RP_FIELD(smtp.max_inflight_bytes_per_ip), kMinInflightShare);
    per_ip.computed = "an eighth of max_inflight_bytes";
    t.push_back(std::move(per_ip));
    t.push_back(boolean("smtp.screen", "screen clients before the greeting ([screen]) and apply the per-IP rates",
                        RP_FIELD(smtp.screen)));
    t.push_back(integer("smtp.max_connection_rate_per_ip",
                        "connections per minute from one client address, then 421 4.7.0; 0 = no limit",
                        RP_FIELD(smtp.max_connection_rate_per_ip), 0));
    t.push_back(integer("smtp.max_message_rate_per_ip",
                        "MAIL FROMs per minute from one client address, then 450 4.7.1; 0 = no limit",
                        RP_FIELD(smtp.max_message_rate_per_ip), 0));
}

void add_relay_and_log(std::vector<Key>& t) {
    // Checked and lower-cased: domains compare case-insensitively (RFC 5321 2.4).
    Key domains{"relay.local_domains", "domains whose users live here; mail to them is accepted from anyone"};
    domains.read = [](const Reader& r, const toml::node& v, const std::string& key, Config& c) {
        auto list = r.strings(v, key);
        for (size_t i = 0; i < list.size(); ++i) {
            if (!valid_domain_chars(list[i]))
                r.fail(key + "[" + std::to_string(i) + "]", "expected a domain name, got " + quote(list[i]));
            list[i] = util::ascii_lower(list[i]);
        }
        c.relay.local_domains = std::move(list);
    };
    domains.write = [](const Config& c) { return toml_strings(c.relay.local_domains); };
    t.push_back(std::move(domains));
    t.push_back(networks("relay.relay_networks", "client networks (CIDR) that may relay to any domain",
                         RP_FIELD(relay.relay_networks)));
    t.push_back(choice("log.level", "least severe events logged", RP_FIELD(log.level), {"error", "warn", "info", "debug"}));
    t.push_back(integer("metrics.top_sites",
                        "queue gauges per site and per domain cover this many, those with the most mail waiting",
                        RP_FIELD(metrics.top_sites), 0, 10000));
}

// DNS servers: "ip", "ip:port" or "[v6]:port".
void check_dns_server(const Reader& r, const std::string& key, const std::string& text) {
    auto route = delivery::parse_route(text);
    uint8_t ip[16];
    if (!route) r.fail(key, route.error().message);
    if (!parse_ip(route->host, ip)) r.fail(key, "expected an IP address with an optional port, got " + quote(text));
}

void add_delivery(std::vector<Key>& t) {
    t.push_back(strings("delivery.dns_servers", "resolvers (\"ip\", \"ip:port\", \"[v6]:port\"); [] = /etc/resolv.conf",
                        RP_FIELD(delivery.dns_servers), check_dns_server));
    t.push_back(integer("delivery.remote_port", "port of remote MX hosts", RP_FIELD(delivery.remote_port), 1, 65535));
    t.push_back(strings("delivery.retry_schedule", "waits between delivery attempts; the last one repeats",
                        RP_FIELD(delivery.retry_schedule)));
    // Not empty, and parsed as a whole (the schedule checks its order).
    t.back().read = [](const Reader& r, const toml::node& v, const std::string& key, Config& c) {
        auto list = r.strings(v, key);
        if (list.empty()) r.fail(key, "expected at least one duration");
        if (auto parsed = delivery::RetrySchedule::parse(list); !parsed) r.fail(key, parsed.error().message);
        c.delivery.retry_schedule = std::move(list);
    };
    t.push_back(duration("delivery.max_queue_lifetime", "then undelivered mail bounces (4.4.7)",
                         RP_FIELD(delivery.max_queue_lifetime), false));
    t.push_back(integer("delivery.max_connections_per_destination", "outbound connections at once to one domain",
                        RP_FIELD(delivery.max_connections_per_destination), 1, 10000));
    t.push_back(integer("delivery.max_connections_per_host", "outbound connections at once to one remote IP address",
                        RP_FIELD(delivery.max_connections_per_host), 1, 100000));
    t.push_back(integer("delivery.max_messages_per_connection", "messages sent over one outbound connection",
                        RP_FIELD(delivery.max_messages_per_connection), 1));
    t.push_back(duration("delivery.connect_timeout", "TCP connect to a remote MX",
                         RP_FIELD(delivery.connect_timeout), false));
    t.push_back(duration("delivery.idle_timeout", "how long an idle outbound connection waits for more mail",
                         RP_FIELD(delivery.idle_timeout), true));
    t.push_back(duration("delivery.delay_warning", "then a \"delayed\" DSN goes to the sender; 0 = none",
                         RP_FIELD(delivery.delay_warning), true));
    t.push_back(integer("delivery.max_hops", "Received: headers before a message counts as a loop",
                        RP_FIELD(delivery.max_hops), 1, 10000));
    t.push_back(rules_file("delivery.bounce_rules", "bounce classification rules tried before the built-in ones; \"\" = none",
                           RP_FIELD(delivery.bounce_rules), RP_FIELD(delivery.bounce_rule_specs), load_bounce_rules));
    t.push_back(domain_table("delivery.routes", "static next hops by domain (\"host\", \"host:port\", \"[ip]:port\"), bypassing MX",
                             RP_FIELD(delivery.routes), "expected a domain name as the key",
                             [](const Reader& r, const toml::node& v, const std::string& key) {
                                 std::string text = r.string(v, key);
                                 if (auto parsed = delivery::parse_route(text); !parsed) r.fail(key, parsed.error().message);
                                 return text;
                             }));
    t.push_back(choice("delivery.tls.default", "outbound STARTTLS: none, may (plain if TLS fails), encrypt, verify",
                       RP_FIELD(delivery.tls.default_policy), kTlsPolicies));
    t.push_back(string("delivery.tls.ca_file", "PEM CAs for \"verify\"; \"\" = the system trust store",
                       RP_FIELD(delivery.tls.ca_file)));
    t.push_back(domain_table("delivery.tls.domains", "outbound STARTTLS policy by domain", RP_FIELD(delivery.tls.domains),
                             "expected a domain name",
                             [](const Reader& r, const toml::node& v, const std::string& key) {
                                 return r.one_of(v, key, kTlsPolicies);
                             }));
}

void add_protocols(std::vector<Key>& t) {
    t.push_back(listen("pop3.listen", "POP3 listen addresses; [] turns POP3 off", RP_FIELD(pop3.listen)));
    t.push_back(duration("pop3.idle_timeout", "autologout after this long idle (RFC 1939: at least 10m)",
                         RP_FIELD(pop3.idle_timeout), false));
    t.push_back(integer("pop3.max_bad_commands", "bad commands, then -ERR and hang up", RP_FIELD(pop3.max_bad_commands), 1));
    t.push_back(integer("pop3.max_auth_failures", "failed logins per connection, then it is closed",
                        RP_FIELD(pop3.max_auth_failures), 1));
    add_connection_limits(t, "pop3", RP_FIELD(pop3), "pop3 and pop3s together");
    add_proxy_protocol(t, "pop3", RP_FIELD(pop3));
    t.push_back(listen("imap.listen", "IMAP listen addresses; [] turns IMAP off", RP_FIELD(imap.listen)));
    t.push_back(duration("imap.idle_timeout", "autologout after this long idle (RFC 3501 5.4: at least 30m)",
                         RP_FIELD(imap.idle_timeout), false));
    t.push_back(integer("imap.max_bad_commands", "bad commands, then BYE", RP_FIELD(imap.max_bad_commands), 1));
    t.push_back(duration("imap.command_time_limit", "SEARCH/FETCH/LIST working longer end with NO [LIMIT]; 0 = none",
                         RP_FIELD(imap.command_time_limit), true));
    add_connection_limits(t, "imap", RP_FIELD(imap), "imap and imaps together");
    add_proxy_protocol(t, "imap", RP_FIELD(imap));
    t.push_back(byte_size("store.min_free_space", "below this free space MAIL FROM gets 452 4.3.1 (\"256M\"); 0 = off",
                          RP_FIELD(store.min_free_space)));
}

void add_tls_and_submission(std::vector<Key>& t) {
    t.push_back(string("tls.cert", "PEM certificate chain; \"\" = self-signed in <data_dir>/tls/", RP_FIELD(tls.cert)));
    t.push_back(string("tls.key", "PEM private key; \"\" = self-signed in <data_dir>/tls/", RP_FIELD(tls.key)));
    t.push_back(choice("tls.min_version", "oldest TLS version accepted", RP_FIELD(tls.min_version), {"TLSv1.2", "TLSv1.3"}));
    t.push_back(string("tls.ciphers", "TLS 1.2 cipher list; \"\" = AEAD with forward secrecy", RP_FIELD(tls.ciphers)));
    t.push_back(string("tls.ciphersuites", "TLS 1.3 suites; \"\" = OpenSSL's default", RP_FIELD(tls.ciphersuites)));
    t.push_back(boolean("tls.starttls", "offer STARTTLS/STLS on the plain listeners", RP_FIELD(tls.starttls)));
    t.push_back(listen("submission.listen", "message submission (RFC 6409) listen addresses; [] = none",
                       RP_FIELD(submission.listen)));
    t.push_back(boolean("submission.require_sender_match", "MAIL FROM must be the logged-in user's address (or <>)",
                        RP_FIELD(submission.require_sender_match)));
    t.push_back(boolean("submission.screen", "screen submission clients too ([screen], per-IP rates; never smtps)",
                        RP_FIELD(submission.screen)));
    add_connection_limits(t, "submission", RP_FIELD(submission), "submission and smtps together");
    add_proxy_protocol(t, "submission", RP_FIELD(submission));
    t.push_back(listen("smtps.listen", "submission over implicit TLS (RFC 8314); [] = none", RP_FIELD(smtps.listen)));
    add_proxy_protocol(t, "smtps", RP_FIELD(smtps));
    t.push_back(listen("pop3s.listen", "POP3 over implicit TLS; [] = none", RP_FIELD(pop3s.listen)));
    add_proxy_protocol(t, "pop3s", RP_FIELD(pop3s));
    t.push_back(listen("imaps.listen", "IMAP over implicit TLS; [] = none", RP_FIELD(imaps.listen)));
    add_proxy_protocol(t, "imaps", RP_FIELD(imaps));
}

void add_http(std::vector<Key>& t) {
    t.push_back(listen("http.listen", "HTTP API listen addresses (docs/HTTP.md); [] turns HTTP off", RP_FIELD(http.listen)));
    t.push_back(boolean("http.tls", "https on those addresses, with the [tls] certificate", RP_FIELD(http.tls)));
    t.push_back(string("http.tokens_file", "bearer tokens (NAME SHA256-HEX lines); \"\" = none: /api/* for relay_networks only",
                       RP_FIELD(http.tokens_file)));
    Key body = byte_size("http.max_body_size", "largest request body (\"40M\"); larger ones get 413",
                         RP_FIELD(http.max_body_size));
    body.computed = "[smtp] max_message_size * 4/3 (base64 inside JSON) + 1 MiB";
    t.push_back(std::move(body));
    t.push_back(duration("http.idle_timeout", "how long a connection waits for its next request, then closes",
                         RP_FIELD(http.idle_timeout), false));
    t.push_back(string("http.max_message_rate",
                       "messages each caller (API token, else client address) may inject (\"600/min\": bursts of up "
                       "to 600); \"\" = no limit; over it: 429",
                       RP_FIELD(http.max_message_rate), rate_check()));
    add_connection_limits(t, "http", RP_FIELD(http), "http (plain and https together)");
    add_proxy_protocol(t, "http", RP_FIELD(http));
}

std::vector<Key> build() {
    std::vector<Key> t;
    add_top_level(t);
    add_smtp(t);
    add_relay_and_log(t);
    add_delivery(t);
    add_protocols(t);
    add_tls_and_submission(t);
    add_shaping_keys(t);
    add_dkim_keys(t);
    add_egress_keys(t);
    add_milter_keys(t);
    add_inbound_keys(t);
    add_http(t);
    add_screen_keys(t);
    add_greylist_keys(t);
    add_events_keys(t);
    return t;
}

}  // namespace

const std::vector<Key>& keys() {
    static const std::vector<Key> table = build();
    return table;
}

const Key* find_key(std::string_view name) {
    for (const Key& k : keys())
        if (k.name == name) return &k;
    return nullptr;
}

std::vector<std::string_view> names_under(std::string_view prefix) {
    std::vector<std::string_view> out;
    for (const Key& k : keys()) {
        std::string_view name = k.name;
        if (!k.alias_of.empty() || !name.starts_with(prefix)) continue;
        name.remove_prefix(prefix.size());
        name = name.substr(0, name.find('.'));
        if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    }
    return out;
}

std::string toml_string(std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

std::string toml_duration(uint32_t seconds) {
    if (seconds == 0) return "0s";
    std::string out;
    for (auto [unit, size] : {std::pair{'d', 86400u}, {'h', 3600u}, {'m', 60u}, {'s', 1u}}) {
        if (seconds < size) continue;
        out += std::to_string(seconds / size) + unit;
        seconds %= size;
    }
    return out;
}

namespace kinds {

std::string toml_strings(const std::vector<std::string>& items) {
    std::string out = "[";
    for (const auto& i : items) out += (out.size() > 1 ? ", " : "") + toml_string(i);
    return out + "]";
}

std::string toml_bytes(uint64_t bytes) {
    for (auto [unit, shift] : {std::pair{'T', 40}, {'G', 30}, {'M', 20}, {'K', 10}})
        if (bytes != 0 && bytes % (uint64_t{1} << shift) == 0)
            return toml_string(std::to_string(bytes >> shift) + unit);
    return std::to_string(bytes);
}

std::string toml_delay(uint32_t ms) {
    if (ms % 1000 == 0) return toml_string(toml_duration(ms / 1000));
    return toml_string(std::to_string(ms) + "ms");
}

}  // namespace kinds
}  // namespace ringpost::config
