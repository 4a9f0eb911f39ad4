// ringpost configuration: built-in defaults, overridden by a TOML file.
// load_config() throws ConfigError with one line naming the key at fault.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/automation.hpp"
#include "delivery/bounce_classifier.hpp"
#include "events/options.hpp"

namespace ringpost::config {

struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A parsed "host:port" / "[v6]:port" listen address.
struct ListenAddress {
    std::string host;   // "127.0.0.1", "::1", "0.0.0.0"
    uint16_t port = 0;
    std::string text;   // as written, for messages

    bool operator==(const ListenAddress&) const = default;
};

// A parsed CIDR network, IPv4 or IPv6 (IPv4 stored as v4-mapped IPv6).
struct Network {
    uint8_t addr[16] = {};
    uint8_t prefix = 0;  // 0..128 over the 16-byte form
    std::string text;

    bool operator==(const Network&) const = default;
};

// The default [smtp] max_inflight_bytes: a quarter of physical memory
// (sysconf _SC_PHYS_PAGES; 1 GiB assumed when unknown), at least 64 MiB
// and at most 2 GiB. The per-IP default is an eighth of the total.
uint64_t default_max_inflight_bytes();
constexpr uint64_t kInflightPerIpDivisor = 8;
// The smallest share that can be set: one reservation chunk
// (smtp::InflightBudget::kChunk); below it no session could ever reserve
// and every one would wait for the overdraft.
constexpr uint64_t kMinInflightShare = 256 * 1024;

// [http] max_body_size when not given: a message of max_message_size
// bytes as base64 inside JSON, and 1 MiB for everything else.
constexpr uint64_t default_http_max_body_size(uint64_t max_message_size) {
    return max_message_size / 3 * 4 + 4 + (uint64_t{1} << 20);
}

struct SmtpConfig {
    std::vector<ListenAddress> listen;   // default 127.0.0.1:2525
    uint64_t max_message_size = 26214400;
    uint32_t max_recipients = 1000;
    // Port 25 only ([submission], [pop3], [imap] have their own); all are
    // kept below the descriptor limit at start (docs/ROBUSTNESS.md).
    uint32_t max_connections = 20000;
    uint32_t max_connections_per_ip = 1000;
    // Postfix's smtpd error limits (smtp::Limits says what counts): from
    // soft_error_limit errors on every reply waits error_delay; at
    // hard_error_limit (old name: max_bad_commands) 421 and hang up; junk
    // commands beyond junk_command_limit count as errors.
    uint32_t soft_error_limit = 10;
    uint32_t hard_error_limit = 20;
    uint32_t junk_command_limit = 100;
    uint32_t error_delay_ms = 1000;      // 0 = no delay
    uint32_t max_command_line = 2048;
    uint32_t max_data_line = 1000000;
    uint32_t command_timeout = 300;      // seconds, RFC 5321 4.5.3.2.7
    uint32_t data_timeout = 180;         // seconds between data blocks, 4.5.3.2.5/6
    uint32_t min_data_rate = 500;        // bytes/s in DATA/BDAT (smtpd_min_data_rate); 0 = off
    // Message bytes all SMTP and submission sessions together, and those
    // of one client address, may hold in memory before the commit; past
    // them sessions stop being read (smtp::InflightBudget,
    // docs/ROBUSTNESS.md). 0 = no limit. The per-IP share defaults to an
    // eighth of the total, whatever the total is set to.
    uint64_t max_inflight_bytes = default_max_inflight_bytes();
    uint64_t max_inflight_bytes_per_ip = default_max_inflight_bytes() / kInflightPerIpDivisor;
    uint32_t shutdown_grace = 10;        // seconds to let transactions finish on SIGTERM
    // AUTH (RFC 4954) is offered only over TLS; true also offers it in
    // plain text (for tests on loopback).
    bool allow_plaintext_auth = false;
    // Every connection starts with a PROXY protocol header (v1 or v2) from
    // a load balancer in Config::proxy_networks (docs/INBOUND.md); the
    // same key in each listener's table.
    bool proxy_protocol = false;
    // Screening before the greeting ([screen], docs/INBOUND.md) and the
    // per-IP rates below apply on these listeners (port 25).
    bool screen = true;
    // Per client address and minute, as Postfix's
    // smtpd_client_connection_rate_limit / smtpd_client_message_rate_limit
    // (anvil_rate_time_unit 60 s): connections (over: 421 4.7.0) and MAIL
    // FROMs (over: 450 4.7.1). 0 = no limit. Clients in relay_networks are
    // exempt unless [screen] screen_trusted.
    uint32_t max_connection_rate_per_ip = 0;
    uint32_t max_message_rate_per_ip = 0;

    bool operator==(const SmtpConfig&) const = default;
};

// [tls]: the server certificate for STARTTLS / STLS and the implicit-TLS
// listeners. No cert and key: a self-signed pair is generated into
// <data_dir>/tls/ on first start (and logged), so STARTTLS always works.
struct TlsConfig {
    std::string cert;                     // PEM chain; "" = <data_dir>/tls/cert.pem (self-signed)
    std::string key;                      // PEM key; "" = <data_dir>/tls/key.pem
    std::string min_version = "TLSv1.2";  // "TLSv1.2" or "TLSv1.3"
    std::string ciphers;                  // TLS 1.2 cipher list; "" = modern AEAD + forward secrecy
    std::string ciphersuites;             // TLS 1.3 suites; "" = OpenSSL's default
    bool starttls = true;                 // offer STARTTLS / STLS on the plain listeners

    bool operator==(const TlsConfig&) const = default;
};

// [submission]: message submission (RFC 6409): AUTH before MAIL, then
// relay anywhere. [smtps]: the same over implicit TLS (RFC 8314).
struct SubmissionConfig {
    std::vector<ListenAddress> listen;    // default 127.0.0.1:5870; empty = none
    // MAIL FROM must be the authenticated user's address (or null).
    bool require_sender_match = true;
    // Counted apart from [smtp]'s, smtps included (one service, as in
    // Dovecot); per IP as Postfix's smtpd_client_connection_count_limit.
    uint32_t max_connections = 1000;
    uint32_t max_connections_per_ip = 50;
    bool proxy_protocol = false;
    // Screening and the per-IP rates on the submission listener (not
    // smtps: its clients speak TLS first). Off: its clients authenticate.
    bool screen = false;

    bool operator==(const SubmissionConfig&) const = default;
};

// [smtps], [pop3s], [imaps]: implicit-TLS listeners (default 4650, 9950, 9930).
struct ImplicitTlsConfig {
    std::vector<ListenAddress> listen;
    bool proxy_protocol = false;   // the header comes before the TLS handshake

    bool operator==(const ImplicitTlsConfig&) const = default;
};

// [delivery.tls]: outbound STARTTLS policy: "none", "may" (opportunistic,
// plain-text retry if the handshake fails), "encrypt" (TLS required),
// "verify" (TLS with a certificate valid for the MX host name).
struct DeliveryTlsConfig {
    std::string default_policy = "may";
    std::vector<std::pair<std::string, std::string>> domains;   // lower-cased domain -> policy
    std::string ca_file;   // "" = the system trust store

    bool operator==(const DeliveryTlsConfig&) const = default;
};

struct RelayConfig {
    std::vector<std::string> local_domains;   // lower-cased; default ["localhost"]
    std::vector<Network> relay_networks;      // default 127.0.0.0/8, ::1/128

    bool operator==(const RelayConfig&) const = default;
};

// [pop3]: the POP3 front end (RFC 1939) over the users' INBOX.
struct Pop3Config {
    std::vector<ListenAddress> listen;   // default 127.0.0.1:1100; empty = no POP3
    uint32_t idle_timeout = 600;         // seconds; RFC 1939 3: at least 10 minutes
    uint32_t max_bad_commands = 20;
    uint32_t max_auth_failures = 3;      // per connection, then it is closed
    uint32_t max_connections = 1000;     // pop3 and pop3s together
    uint32_t max_connections_per_ip = 50;
    bool proxy_protocol = false;

    bool operator==(const Pop3Config&) const = default;
};

// [imap]: the IMAP4rev1 front end (RFC 3501) over the users' mailboxes.
struct ImapConfig {
    std::vector<ListenAddress> listen;   // default 127.0.0.1:1430; empty = no IMAP
    uint32_t idle_timeout = 1800;        // seconds; RFC 3501 5.4: autologout at least 30 minutes
    uint32_t max_bad_commands = 20;
    // Seconds SEARCH, FETCH or LIST may work before NO [LIMIT]; 0 = no limit.
    uint32_t command_time_limit = 30;
    uint32_t max_connections = 1000;     // imap and imaps together (Dovecot's imap-login default)
    uint32_t max_connections_per_ip = 50;   // an office behind NAT, a few clients each
    bool proxy_protocol = false;

    bool operator==(const ImapConfig&) const = default;
};

// [delivery]: the engine that relays spooled mail (docs/DELIVERY.md).
struct DeliveryConfig {
    std::vector<std::string> dns_servers;      // "ip", "ip:port", "[v6]:port"; empty = /etc/resolv.conf
    uint16_t remote_port = 25;                 // port of remote MX hosts
    std::vector<std::string> retry_schedule = {"5m", "10m", "20m", "40m", "1h"};   // the last repeats
    uint32_t max_queue_lifetime = 5 * 86400;   // seconds; Postfix's maximal_queue_lifetime
    uint32_t max_connections_per_destination = 20;
    uint32_t max_connections_per_host = 50;    // per remote IP, over all destinations
    uint32_t max_messages_per_connection = 100;
    uint32_t connect_timeout = 30;             // seconds
    uint32_t idle_timeout = 2;                 // seconds an idle outbound connection waits for more mail
    uint32_t delay_warning = 0;                // seconds before a "delayed" DSN; 0 = none
    uint32_t max_hops = 100;                   // Received: headers before a message counts as looping
    // [delivery.routes]: lower-cased domain -> next hop ("host", "host:port", "[ip]:port").
    std::vector<std::pair<std::string, std::string>> routes;
    DeliveryTlsConfig tls;
    // The user's bounce classification rules file ("" = none: the built-in
    // rules only), and its rules, read and checked with the configuration
    // (config/bounce_rules.hpp).
    std::string bounce_rules;
    std::vector<delivery::BounceRuleSpec> bounce_rule_specs;

    bool operator==(const DeliveryConfig&) const = default;
};

// [store]: the database in data_dir (docs/STORAGE.md, docs/ROBUSTNESS.md).
struct StoreConfig {
    // Postfix's queue_minfree: while the data directory's filesystem has
    // fewer free bytes than this, MAIL FROM is answered 452 4.3.1, so the
    // database never runs out of space in the middle of a write; reading,
    // deleting and delivering stored mail go on. 0 = no threshold (mail is
    // then refused only once the database itself reports a full disk).
    uint64_t min_free_space = 256u << 20;

    bool operator==(const StoreConfig&) const = default;
};

// [shaping]: traffic shaping per destination site (docs/BULK.md). The
// site defaults for connections, messages per connection and idle time
// are [delivery]'s max_connections_per_destination,
// max_messages_per_connection and idle_timeout.
struct ShapingSite {
    std::string name;                          // [shaping.sites.NAME]: the site's name in logs
    std::vector<std::string> domains;          // "example.com", "*.example.com"
    std::vector<std::string> mx;               // MX host patterns, e.g. "*.google.com"
    std::optional<uint32_t> max_connections;
    std::optional<uint32_t> max_messages_per_connection;
    std::optional<std::string> max_message_rate;      // "300/min"; "unlimited" lifts the default
    std::optional<std::string> max_connection_rate;
    std::optional<uint32_t> idle_timeout;      // seconds
    std::optional<std::string> tls;            // none, may, encrypt, verify

    bool operator==(const ShapingSite&) const = default;
};

struct ShapingConfig {
    bool mx_rollup = true;                     // domains with the same MX hosts are one site
    std::string max_message_rate;              // per site; "" = no limit
    std::string max_connection_rate;
    std::vector<ShapingSite> sites;            // the most specific match wins (docs/BULK.md)
    // Automation rules on remote replies (config/automation_rules.hpp):
    // this file's first, then the built-in ones unless turned off.
    std::string automation;                    // "" = none
    std::vector<delivery::AutomationRuleSpec> automation_specs;
    bool builtin_automation = true;

    bool operator==(const ShapingConfig&) const = default;
};

// [dkim]: DKIM signing of outgoing mail (RFC 6376, RFC 8463; docs/DKIM.md).
struct DkimConfig {
    // Signing domain (lower-cased) -> its selectors, one signature each
    // (e.g. an Ed25519 and an RSA key). The key of selector S of domain D
    // is <key_dir>/D/S.pem, where `ringpost dkim keygen D S` writes it.
    std::vector<std::pair<std::string, std::vector<std::string>>> domains;
    std::string key_dir;              // "" in the file = <data_dir>/dkim
    // Whose mail is signed: "trusted" (relay_networks or authenticated),
    // "authenticated" (SMTP AUTH only) or "submission" (the submission and
    // smtps listeners only). Mail from anyone else is never signed.
    std::string sign = "trusted";
    // Submission login (lower-cased) -> the signing domain for all of its
    // mail, whatever its From: (an ESP signing for its customers); the
    // domain must be one of `domains`.
    std::vector<std::pair<std::string, std::string>> users;
    std::vector<std::string> headers;      // h=, lower-cased; empty = the built-in list (docs/DKIM.md)
    std::string canonicalization = "relaxed/relaxed";
    uint32_t expire_after = 0;             // seconds from t= to x=; 0 = no x=

    bool operator==(const DkimConfig&) const = default;
};

// [egress]: egress sources and pools (docs/BULK.md). A source is a local
// address to send from and the EHLO name to give there; a pool is sources
// with weights; a message's pool is chosen when it is accepted.
struct EgressSourceConfig {
    std::string name;        // [egress.sources.NAME]: in logs as source=NAME
    std::string address;     // IPv4 or IPv6 literal
    std::string ehlo;        // "" = hostname

    bool operator==(const EgressSourceConfig&) const = default;
};

struct EgressPoolConfig {
    std::string name;                  // [egress.pools.NAME]
    std::vector<std::string> sources;  // names of [egress.sources]
    std::vector<uint32_t> weights;     // one per source; empty = all 1

    bool operator==(const EgressPoolConfig&) const = default;
};

struct EgressConfig {
    // The pool of mail no rule below picks; "" = no pool (the kernel's
    // source address, EHLO with hostname).
    std::string default_pool;
    std::vector<EgressSourceConfig> sources;
    std::vector<EgressPoolConfig> pools;
    // Lower-cased sender (MAIL FROM) domain -> pool.
    std::vector<std::pair<std::string, std::string>> sender_domains;
    // Submission login (lower-cased) -> pool for all of its mail.
    std::vector<std::pair<std::string, std::string>> users;

    bool operator==(const EgressConfig&) const = default;
};

// [http]: the HTTP API listener (docs/HTTP.md): the admin API now,
// injection, metrics and the status page on the same router.
struct HttpConfig {
    std::vector<ListenAddress> listen;   // default 127.0.0.1:8025; empty = no HTTP
    bool tls = false;                    // https with the [tls] certificate
    std::string tokens_file;             // "" = none: only relay_networks may call /api/*
    // Room for [smtp] max_message_size sent as base64 inside JSON (4/3 of
    // it) and 1 MiB for the rest of the request, unless given.
    uint64_t max_body_size = default_http_max_body_size(SmtpConfig{}.max_message_size);
    uint32_t idle_timeout = 60;          // seconds for the next request
    std::string max_message_rate;        // per caller, injection API ("600/min"); "" = no limit
    uint32_t max_connections = 1000;
    uint32_t max_connections_per_ip = 100;
    bool proxy_protocol = false;

    bool operator==(const HttpConfig&) const = default;
};

// [screen]: checks before the SMTP greeting on the listeners that screen
// ([smtp] screen, [submission] screen), as Postfix's postscreen
// (docs/INBOUND.md "Screening").
struct ScreenConfig {
    // postscreen_dnsbl_sites: "zone[=filter][*weight]" (dns/dnsbl.hpp),
    // checked when the file is read.
    std::vector<std::string> dnsbl_sites;
    int32_t dnsbl_threshold = 1;             // this score or more: 554 5.7.1 and hang up
    int32_t dnsbl_allowlist_threshold = 0;   // negative: this score or less skips the pregreet test
    uint32_t dnsbl_timeout_ms = 3000;        // zones without an answer by then count as not listing
    // The pregreet test (postscreen_greet_action): "off", "enforce"
    // (554 5.5.1 and hang up on a client that talks before the greeting)
    // or "ignore" (log it only).
    std::string pregreet = "off";
    uint32_t greet_wait_ms = 6000;           // between "220-" and the rest of the greeting (postscreen_greet_wait)
    // The pass cache (postscreen_cache_map): a client that passed the
    // DNSBL check (postscreen_dnsbl_max_ttl) or the pregreet test
    // (postscreen_greet_ttl) skips it on its connections for this long;
    // 0 = that test's passes are not remembered.
    uint32_t dnsbl_ttl_ms = 3600 * 1000;
    uint32_t pregreet_ttl_ms = 86400 * 1000;
    uint32_t cache_max_entries = 100000;     // client addresses remembered, the least recently passed dropped first
    // Screen clients in relay_networks too (and count their rates).
    bool screen_trusted = false;

    bool operator==(const ScreenConfig&) const = default;
};

// [inbound]: checks of mail from others at the end of DATA, and the
// Authentication-Results field with their results (docs/INBOUND.md).
struct InboundConfig {
    std::string authserv_id;              // "" = hostname
    bool check_trusted = false;           // also relay_networks and AUTH clients
    std::string spf = "tag";              // off, tag, reject
    std::string spf_temperror = "accept"; // accept, tempfail
    std::string spf_helo = "null_sender"; // null_sender, always
    std::string dkim = "tag";             // off, tag
    std::string dmarc = "tag";            // off, tag, reject
    std::string dmarc_quarantine = "tag"; // tag, junk (local recipients' copies into Junk)

    bool operator==(const InboundConfig&) const = default;
};

// [greylist]: greylisting at RCPT TO (RFC 6647) of mail from clients not
// in relay_networks and not authenticated, as Postfix with postgrey does
// (docs/INBOUND.md "Greylisting"). A triplet is the client's network, the
// sender and the recipient; the first attempt of a triplet gets 451 4.7.1,
// a retry after `delay` (and before `retry_window` has passed) confirms
// it, and a confirmed triplet passes for `lifetime` after its last use.
struct GreylistConfig {
    bool enabled = false;
    // Recipient domains (lower-cased) greylisted; empty = every domain a
    // recipient may have (local domains and, for relaying, others).
    std::vector<std::string> domains;
    uint32_t delay_ms = 300 * 1000;                       // postgrey --delay
    uint32_t retry_window_ms = 2 * 86400 * 1000;          // postgrey --max-age of an unconfirmed triplet
    uint32_t lifetime_ms = 35u * 86400 * 1000;            // postgrey --max-age
    std::vector<Network> whitelist_networks;              // clients never greylisted
    // Recipients never greylisted: "user@example.org" or "@example.org" (lower-cased).
    std::vector<std::string> whitelist_recipients;
    // A client network that passed greylisting this many times is no longer
    // greylisted (postgrey --auto-whitelist-clients); 0 = never.
    uint32_t auto_whitelist_after = 5;
    // The client part of a triplet: the address's network of this prefix
    // length (postgrey --lookup-by-subnet: a pool of outbound servers
    // retries from another address of the same network).
    uint32_t network_prefix_v4 = 24;
    uint32_t network_prefix_v6 = 64;
    // Triplets and client counts kept in memory (and in the store), oldest
    // dropped first.
    uint32_t max_entries = 100000;
    // After "451 4.7.1 <rcpt>: Recipient address rejected: "; "%s" = the
    // seconds until a retry passes.
    std::string reply = "Greylisted, try again in %s seconds";

    bool operator==(const GreylistConfig&) const = default;
};

struct LogConfig {
    std::string level = "info";   // error, warn, info, debug

    bool operator==(const LogConfig&) const = default;
};

// [metrics]: what `ringpost metrics` (and GET /metrics) shows.
struct MetricsConfig {
    // The per-site and per-domain queue gauges cover the sites and domains
    // with the most mail waiting, at most this many each (label cardinality).
    uint32_t top_sites = 20;

    bool operator==(const MetricsConfig&) const = default;
};

// [milters.NAME]: content filters spoken to with the Sendmail milter
// protocol (docs/INBOUND.md "Milter"), in the order of their names, at the
// end of each message's data and before DKIM signing.
struct MilterConfig {
    std::string name;
    std::string address;                  // "127.0.0.1:11332", "[::1]:11332", "unix:/path"
    uint32_t connect_timeout_ms = 10000;
    uint32_t command_timeout_ms = 30000;  // each reply
    uint32_t total_timeout_ms = 120000;   // one message
    // When the milter cannot be reached or breaks the protocol: "accept"
    // (fail open: the message goes on unfiltered), "tempfail" (451 4.7.1)
    // or "reject" (550 5.7.1).
    std::string on_failure = "tempfail";
    // Which mail it sees: "smtp" (port 25 listeners), "submission", "http"
    // (the injection API).
    std::vector<std::string> apply_to = {"smtp", "submission", "http"};

    bool operator==(const MilterConfig&) const = default;
};

struct Config {
    std::string hostname;          // default: gethostname()
    std::string data_dir = "./ringpost-data";
    uint32_t threads = 0;          // 0 = one per core
    // Nice value added to the threads that do sessions' blocking and heavy
    // work off the rings (store reads, large SEARCH matching, password
    // hashing), so that it never takes CPU from the rings' connections.
    uint32_t pool_nice = 10;       // 0..19; 0 = same priority as the rings
    std::string admin_socket;      // default: <data_dir>/admin.sock
    // The load balancers that may send a PROXY protocol header to the
    // listeners with proxy_protocol = true; a connection to such a
    // listener from anywhere else is closed unanswered. Empty by default
    // (and then no listener may have proxy_protocol).
    std::vector<Network> proxy_networks;
    SmtpConfig smtp;
    RelayConfig relay;
    DeliveryConfig delivery;
    Pop3Config pop3;
    ImapConfig imap;
    StoreConfig store;
    TlsConfig tls;
    SubmissionConfig submission;
    ImplicitTlsConfig smtps;
    ImplicitTlsConfig pop3s;
    ImplicitTlsConfig imaps;
    ShapingConfig shaping;
    DkimConfig dkim;
    EgressConfig egress;
    std::vector<MilterConfig> milters;
    HttpConfig http;
    ScreenConfig screen;
    InboundConfig inbound;
    GreylistConfig greylist;
    // [events]: the delivery event log and its sinks (docs/EVENTS.md).
    events::EventsOptions events;
    LogConfig log;
    MetricsConfig metrics;
    std::string source;            // file it came from, or "built-in defaults"

    // Field by field, source included (tests compare whole configurations).
    bool operator==(const Config&) const = default;
};

Config default_config();
// Reads `path`; throws ConfigError("ringpost.toml: smtp.max_recipients: expected a positive integer").
Config load_config(const std::string& path);
// The same for the file's contents (`path` names it in errors).
Config parse_config(std::string_view text, const std::string& path);
// Default lookup: ./ringpost.toml if it exists, else built-in defaults.
Config load_config_or_default(const std::string& path_or_empty);

// Every key at its default as a commented TOML file, grouped by table
// (`ringpost check-config --defaults`); it parses back to default_config().
std::string defaults_toml();

// The tables of the listeners with proxy_protocol = true ("smtp", "imaps", ...), in key order.
std::vector<std::string> proxy_protocol_listeners(const Config& config);

// A few "key: value" lines for `ringpost check-config` (listen, data_dir, domains, ...).
std::string describe_config(const Config& config);

// Helpers shared with the policy code.
bool network_contains(const Network& net, const uint8_t addr16[16]);
bool networks_contain(const std::vector<Network>& nets, const uint8_t addr16[16]);   // any of them
bool parse_ip(const std::string& text, uint8_t out16[16]);   // v4 -> v4-mapped
ListenAddress parse_listen(const std::string& text);          // throws ConfigError
Network parse_network(const std::string& text);               // throws ConfigError
// "300", "90s", "5m", "2h", "1d", "1h30m" -> seconds; false if malformed or > 2^32-1.
bool parse_duration(std::string_view text, uint32_t& seconds);
// "1048576", "512K", "256M", "1G", "1T" (binary multiples; "KiB", "MiB",
// ... and a trailing "B" are accepted too) -> bytes; false if malformed or
// beyond 2^63.
bool parse_byte_size(std::string_view text, uint64_t& bytes);

}  // namespace ringpost::config
