// config::Config loading: the reference file, defaults, every key's type check
// naming the key, durations, unknown keys, syntax errors with line:column.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/bounce_rules.hpp"
#include "config/config.hpp"
#include "config/engine_config.hpp"
#include "every_key.hpp"
#include "temp_dir.hpp"

namespace ringpost::config {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kReference = R"(hostname = "mx.example.test"
data_dir = "./ringpost-data"
threads = 0                      # 0 = one per core

[smtp]
listen = ["127.0.0.1:2525"]
max_message_size = 26214400
max_recipients = 1000
max_connections = 20000
max_connections_per_ip = 1000

[relay]
local_domains = ["example.test", "localhost"]
relay_networks = ["127.0.0.0/8", "::1/128"]
)";

class ConfigTest : public ::testing::Test {
protected:
    // Loads `text` as ringpost.toml in a temp dir; returns the config::ConfigError message or "".
    std::string error_of(const std::string& text) {
        try {
            config::load_config(dir.write("ringpost.toml", text));
        } catch (const config::ConfigError& e) {
            return e.what();
        }
        return "";
    }
    config::Config load(const std::string& text) { return config::load_config(dir.write("ringpost.toml", text)); }
    test::TempDir dir;
};

TEST_F(ConfigTest, DefaultsAreSensible) {
    config::Config c = config::default_config();
    EXPECT_FALSE(c.hostname.empty());
    ASSERT_EQ(c.smtp.listen.size(), 1u);
    EXPECT_EQ(c.smtp.listen[0].host, "127.0.0.1");
    EXPECT_EQ(c.smtp.listen[0].port, 2525);
    EXPECT_EQ(c.relay.local_domains, std::vector<std::string>{"localhost"});
    ASSERT_EQ(c.relay.relay_networks.size(), 2u);
    EXPECT_EQ(c.relay.relay_networks[0].text, "127.0.0.0/8");
    EXPECT_EQ(c.relay.relay_networks[1].text, "::1/128");
    EXPECT_EQ(c.data_dir, "./ringpost-data");
    EXPECT_EQ(c.admin_socket, "./ringpost-data/admin.sock");
    EXPECT_EQ(c.smtp.min_data_rate, 500u);   // Postfix smtpd_min_data_rate
    // A quarter of RAM within [64 MiB, 2 GiB]; an eighth of it per address.
    EXPECT_EQ(c.smtp.max_inflight_bytes, config::default_max_inflight_bytes());
    EXPECT_GE(c.smtp.max_inflight_bytes, 64u << 20);
    EXPECT_LE(c.smtp.max_inflight_bytes, 2048u << 20);
    EXPECT_EQ(c.smtp.max_inflight_bytes_per_ip, c.smtp.max_inflight_bytes / 8);
    EXPECT_EQ(c.source, "built-in defaults");
}

TEST_F(ConfigTest, InflightBudgetKeys) {
    config::Config c = load("[smtp]\nmax_inflight_bytes = 4194304\nmax_inflight_bytes_per_ip = 2097152\n");
    EXPECT_EQ(c.smtp.max_inflight_bytes, 4194304u);
    EXPECT_EQ(c.smtp.max_inflight_bytes_per_ip, 2097152u);
    // The per-IP share follows the total when not given; 0 turns both off.
    EXPECT_EQ(load("[smtp]\nmax_inflight_bytes = 80000000\n").smtp.max_inflight_bytes_per_ip, 10000000u);
    config::Config off = load("[smtp]\nmax_inflight_bytes = 0\n");
    EXPECT_EQ(off.smtp.max_inflight_bytes, 0u);
    EXPECT_EQ(off.smtp.max_inflight_bytes_per_ip, 0u);
}

TEST_F(ConfigTest, LoadsTheReferenceFile) {
    config::Config c = load(kReference);
    EXPECT_EQ(c.hostname, "mx.example.test");
    EXPECT_EQ(c.data_dir, "./ringpost-data");
    EXPECT_EQ(c.threads, 0u);
    EXPECT_EQ(c.pool_nice, 10u);   // pool threads yield to the rings by default
    ASSERT_EQ(c.smtp.listen.size(), 1u);
    EXPECT_EQ(c.smtp.listen[0].text, "127.0.0.1:2525");
    EXPECT_EQ(c.smtp.max_message_size, 26214400u);
    EXPECT_EQ(c.smtp.max_recipients, 1000u);
    EXPECT_EQ(c.smtp.max_connections, 20000u);
    EXPECT_EQ(c.smtp.max_connections_per_ip, 1000u);
    EXPECT_EQ(c.relay.local_domains, (std::vector<std::string>{"example.test", "localhost"}));
    ASSERT_EQ(c.relay.relay_networks.size(), 2u);
    EXPECT_EQ(c.admin_socket, "./ringpost-data/admin.sock");
    EXPECT_EQ(c.source, dir.file("ringpost.toml"));
    EXPECT_EQ(c.smtp.command_timeout, 300u);   // untouched keys keep defaults
}

TEST_F(ConfigTest, AllKeysAreRead) {
    config::Config c = load(test::kEveryKey);
    EXPECT_EQ(c.hostname, "relay.example.org");
    EXPECT_EQ(c.data_dir, "/var/spool/rp");
    EXPECT_EQ(c.threads, 4u);
    EXPECT_EQ(c.pool_nice, 0u);
    EXPECT_EQ(c.admin_socket, "/run/rp.sock");
    ASSERT_EQ(c.smtp.listen.size(), 2u);
    EXPECT_EQ(c.smtp.listen[1].host, "::");
    EXPECT_EQ(c.smtp.listen[1].port, 25);
    EXPECT_EQ(c.smtp.max_message_size, 1000u);
    EXPECT_EQ(c.smtp.max_recipients, 5u);
    EXPECT_EQ(c.smtp.max_connections, 6u);
    EXPECT_EQ(c.smtp.max_connections_per_ip, 7u);
    EXPECT_EQ(c.smtp.soft_error_limit, 3u);
    EXPECT_EQ(c.smtp.hard_error_limit, 8u);
    EXPECT_EQ(c.smtp.junk_command_limit, 50u);
    EXPECT_EQ(c.smtp.error_delay_ms, 250u);
    EXPECT_EQ(c.smtp.max_command_line, 600u);
    EXPECT_EQ(c.smtp.max_data_line, 2000u);
    EXPECT_EQ(c.smtp.command_timeout, 5400u);   // "1h30m"
    EXPECT_EQ(c.smtp.data_timeout, 90u);
    EXPECT_EQ(c.smtp.min_data_rate, 0u);
    EXPECT_EQ(c.smtp.shutdown_grace, 0u);
    EXPECT_EQ(c.relay.local_domains, (std::vector<std::string>{"example.org", "b.example"}));   // lower-cased
    ASSERT_EQ(c.relay.relay_networks.size(), 1u);
    EXPECT_EQ(c.relay.relay_networks[0].text, "10.0.0.0/8");
    EXPECT_TRUE(load("[relay]\nrelay_networks = []\n").relay.relay_networks.empty());
    EXPECT_EQ(load("[smtp]\ncommand_timeout = \"5m\"\n").smtp.command_timeout, 300u);
    EXPECT_EQ(c.log.level, "debug");
    EXPECT_EQ(c.events.max_events, 5000u);
    EXPECT_EQ(c.events.retention_seconds, 86400u);
    EXPECT_EQ(c.events.file, "/var/log/rp-events.jsonl");
    ASSERT_EQ(c.events.webhooks.size(), 1u);
    const events::WebhookOptions& w = c.events.webhooks[0];
    EXPECT_EQ(w.name, "crm");
    EXPECT_EQ(w.url, "https://hooks.example.org/rp");
    EXPECT_EQ(w.batch_size, 10u);
    EXPECT_EQ(w.max_batch_delay_ms, 250u);
    EXPECT_EQ(w.timeout_ms, 3000u);
    EXPECT_EQ(w.retry_initial_ms, 500u);
    EXPECT_EQ(w.retry_max_ms, 60000u);
    EXPECT_EQ(w.headers, (std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer abc"}}));
    EXPECT_TRUE(c.events.enabled());
    EXPECT_EQ(c.metrics.top_sites, 5u);
}

TEST_F(ConfigTest, HttpKeysAndTheBodySizeThatFollowsTheMessageSize) {
    const config::Config d = config::default_config();
    ASSERT_EQ(d.http.listen.size(), 1u);
    EXPECT_EQ(d.http.listen[0].text, "127.0.0.1:8025");
    EXPECT_FALSE(d.http.tls);
    EXPECT_EQ(d.http.tokens_file, "");
    EXPECT_EQ(d.http.idle_timeout, 60u);
    // A message of max_message_size as base64 in JSON fits, with 1 MiB to spare.
    EXPECT_GE(d.http.max_body_size, d.smtp.max_message_size * 4 / 3 + (1u << 20));
    EXPECT_EQ(load("[smtp]\nmax_message_size = 3000000\n").http.max_body_size,
              config::default_http_max_body_size(3000000));
    EXPECT_EQ(load("[smtp]\nmax_message_size = 3000000\n[http]\nmax_body_size = \"1M\"\n").http.max_body_size,
              1u << 20);
    const config::Config c = load(test::kEveryKey);
    ASSERT_EQ(c.http.listen.size(), 1u);
    EXPECT_EQ(c.http.listen[0].port, 8443);
    EXPECT_TRUE(c.http.tls);
    EXPECT_EQ(c.http.tokens_file, "/etc/rp/http-tokens");
    EXPECT_EQ(c.http.max_body_size, 2u << 20);
    EXPECT_EQ(c.http.idle_timeout, 120u);
    EXPECT_EQ(c.http.max_connections, 18u);
    EXPECT_EQ(c.http.max_connections_per_ip, 19u);
    EXPECT_TRUE(load("[http]\nlisten = []\n").http.listen.empty());
    EXPECT_THAT(error_of("[http]\nidle_timeout = 0\n"), HasSubstr("http.idle_timeout"));
    EXPECT_THAT(config::describe_config(d), HasSubstr("http_listen: 127.0.0.1:8025\nhttp_tokens_file: (none"));
}

TEST_F(ConfigTest, ProxyProtocolListenersAndTheirNetworks) {
    const config::Config d = config::default_config();
    EXPECT_TRUE(d.proxy_networks.empty());
    EXPECT_TRUE(config::proxy_protocol_listeners(d).empty());
    EXPECT_THAT(config::describe_config(d), HasSubstr("\nproxy_protocol: (none)\n"));
    const config::Config c = load(test::kEveryKey);
    ASSERT_EQ(c.proxy_networks.size(), 2u);
    EXPECT_EQ(c.proxy_networks[0].text, "10.1.0.0/16");
    EXPECT_EQ(config::proxy_protocol_listeners(c),
              (std::vector<std::string>{"smtp", "pop3", "imap", "submission", "smtps", "pop3s", "imaps", "http"}));
    const config::Config one = load("proxy_networks = [\"10.0.0.5\"]\n[imaps]\nproxy_protocol = true\n");
    EXPECT_TRUE(one.imaps.proxy_protocol);
    EXPECT_FALSE(one.imap.proxy_protocol);
    EXPECT_THAT(config::describe_config(one), HasSubstr("\nproxy_protocol: imaps from 10.0.0.5\n"));
    // A PROXY header is believed from proxy_networks only: none is a mistake, not "anyone".
    EXPECT_EQ(error_of("[smtp]\nproxy_protocol = true\n"),
              dir.file("ringpost.toml") +
                  ": smtp.proxy_protocol: needs proxy_networks, the addresses of the load balancers that send the header");
    EXPECT_THAT(error_of("proxy_networks = []\n[http]\nproxy_protocol = true\n"), HasSubstr("http.proxy_protocol"));
    EXPECT_THAT(error_of("proxy_networks = [\"10.0.0.0/33\"]\n"), HasSubstr("proxy_networks[0]"));
    // Networks without a proxy_protocol listener are harmless.
    EXPECT_EQ(load("proxy_networks = [\"10.0.0.0/8\"]\n").proxy_networks.size(), 1u);
}

TEST_F(ConfigTest, ScreenKeysAndTheirChecks) {
    const config::Config d = config::default_config();
    EXPECT_TRUE(d.smtp.screen);
    EXPECT_FALSE(d.submission.screen);
    EXPECT_EQ(d.smtp.max_connection_rate_per_ip, 0u);
    EXPECT_EQ(d.smtp.max_message_rate_per_ip, 0u);
    EXPECT_TRUE(d.screen.dnsbl_sites.empty());
    EXPECT_EQ(d.screen.dnsbl_threshold, 1);
    EXPECT_EQ(d.screen.dnsbl_allowlist_threshold, 0);
    EXPECT_EQ(d.screen.pregreet, "off");
    EXPECT_EQ(d.screen.greet_wait_ms, 6000u);
    EXPECT_EQ(d.screen.dnsbl_ttl_ms, 3600u * 1000);
    EXPECT_EQ(d.screen.pregreet_ttl_ms, 86400u * 1000);
    EXPECT_EQ(d.screen.cache_max_entries, 100000u);
    EXPECT_FALSE(d.screen.screen_trusted);
    const config::Config c = load(test::kEveryKey);
    EXPECT_FALSE(c.smtp.screen);
    EXPECT_TRUE(c.submission.screen);
    EXPECT_EQ(c.smtp.max_connection_rate_per_ip, 30u);
    EXPECT_EQ(c.smtp.max_message_rate_per_ip, 60u);
    EXPECT_EQ(c.screen.dnsbl_sites.size(), 3u);
    EXPECT_EQ(c.screen.dnsbl_threshold, 3);
    EXPECT_EQ(c.screen.dnsbl_allowlist_threshold, -1);
    EXPECT_EQ(c.screen.dnsbl_timeout_ms, 500u);
    EXPECT_EQ(c.screen.pregreet, "enforce");
    EXPECT_EQ(c.screen.greet_wait_ms, 300u);
    EXPECT_EQ(c.screen.dnsbl_ttl_ms, 600u * 1000);
    EXPECT_EQ(c.screen.pregreet_ttl_ms, 7200u * 1000);
    EXPECT_EQ(c.screen.cache_max_entries, 200u);
    EXPECT_TRUE(c.screen.screen_trusted);
    EXPECT_THAT(error_of("[screen]\ndnsbl_sites = [\"zen.test*x\"]\n"),
                HasSubstr("screen.dnsbl_sites[0]: expected a weight"));
    EXPECT_THAT(error_of("[screen]\ndnsbl_sites = [\"bl.test=127.0.0\"]\n"), HasSubstr("reply filter"));
    EXPECT_THAT(error_of("[screen]\ndnsbl_allowlist_threshold = 1\n"), HasSubstr("from -100000 to 0"));
    EXPECT_THAT(error_of("[screen]\ndnsbl_threshold = 0\n"), HasSubstr("screen.dnsbl_threshold"));
    EXPECT_THAT(error_of("[screen]\npregreet = \"drop\"\n"), HasSubstr("screen.pregreet"));
    EXPECT_THAT(error_of("[screen]\npregreet_ttl = \"31d\"\n"), HasSubstr("screen.pregreet_ttl"));
    EXPECT_THAT(error_of("[screen]\ncache_max_entries = 10\n"), HasSubstr("screen.cache_max_entries"));
}

TEST_F(ConfigTest, GreylistKeysAndTheirChecks) {
    const config::Config d = config::default_config();
    EXPECT_FALSE(d.greylist.enabled);
    EXPECT_TRUE(d.greylist.domains.empty());
    EXPECT_EQ(d.greylist.delay_ms, 300000u);                 // postgrey's 5 minutes
    EXPECT_EQ(d.greylist.retry_window_ms, 2u * 86400000);    // 2 days
    EXPECT_EQ(d.greylist.lifetime_ms, 35u * 86400000);       // 35 days
    EXPECT_EQ(d.greylist.auto_whitelist_after, 5u);
    EXPECT_EQ(d.greylist.network_prefix_v4, 24u);
    EXPECT_EQ(d.greylist.network_prefix_v6, 64u);
    const config::Config c = load(test::kEveryKey);
    EXPECT_TRUE(c.greylist.enabled);
    EXPECT_EQ(c.greylist.domains, std::vector<std::string>{"example.org"});
    EXPECT_EQ(c.greylist.delay_ms, 600000u);
    EXPECT_EQ(c.greylist.retry_window_ms, 86400000u);
    EXPECT_EQ(c.greylist.lifetime_ms, 20u * 86400000);
    EXPECT_EQ(c.greylist.whitelist_networks.at(0).text, "192.0.2.0/24");
    EXPECT_EQ(c.greylist.whitelist_recipients,
              (std::vector<std::string>{"postmaster@example.org", "@friends.example"}));
    EXPECT_EQ(c.greylist.auto_whitelist_after, 0u);
    EXPECT_EQ(c.greylist.network_prefix_v4, 32u);
    EXPECT_EQ(c.greylist.network_prefix_v6, 48u);
    EXPECT_EQ(c.greylist.max_entries, 500u);
    EXPECT_EQ(c.greylist.reply, "Come back in %s s");
    // Sub-second delays (tests), as every other delay key.
    EXPECT_EQ(load("[greylist]\ndelay = 0.4\nretry_window = \"2s\"\n").greylist.delay_ms, 400u);
    EXPECT_THAT(error_of("[greylist]\ndelay = \"3d\"\n"), HasSubstr("greylist.retry_window: must be longer"));
    EXPECT_THAT(error_of("[greylist]\nlifetime = \"50d\"\n"), HasSubstr("greylist.lifetime"));
    EXPECT_THAT(error_of("[greylist]\ndomains = [\"a b\"]\n"), HasSubstr("greylist.domains[0]"));
    EXPECT_THAT(error_of("[greylist]\nwhitelist_recipients = [\"postmaster\"]\n"),
                HasSubstr("greylist.whitelist_recipients[0]"));
    EXPECT_THAT(error_of("[greylist]\nwhitelist_networks = [\"10.0.0.0/40\"]\n"),
                HasSubstr("greylist.whitelist_networks[0]"));
    EXPECT_THAT(error_of("[greylist]\nnetwork_prefix_v4 = 33\n"), HasSubstr("greylist.network_prefix_v4"));
    EXPECT_THAT(error_of("[greylist]\nreply = \"a\\nb\"\n"), HasSubstr("greylist.reply"));
}

TEST_F(ConfigTest, EventsAreOffWithoutASinkAndWebhooksAreChecked) {
    EXPECT_FALSE(load("[events]\nmax_events = 2000\n").events.enabled());
    const events::WebhookOptions w = load("[events.webhooks.a]\nurl = \"http://127.0.0.1/\"\n").events.webhooks.at(0);
    EXPECT_EQ(w.batch_size, 100u);        // the documented defaults
    EXPECT_EQ(w.retry_initial_ms, 1000u);
    EXPECT_EQ(w.retry_max_ms, 300000u);
    for (const char* bad : {"[events.webhooks.a]\nbatch_size = 5\n",                          // no url
                            "[events.webhooks.a]\nurl = \"mailto:x\"\n",
                            "[events.webhooks.a]\nurl = \"http://h/\"\nheaders = { \"A B\" = \"x\" }\n",
                            "[events.webhooks.a]\nurl = \"http://h/\"\nretry_initial = \"2s\"\nretry_max = \"1s\"\n",
                            "[events.webhooks.a]\nurl = \"http://h/\"\nbogus = 1\n",
                            "[events.webhooks.\"a b\"]\nurl = \"http://h/\"\n"}) {
        EXPECT_THROW(load(bad), config::ConfigError) << bad;
    }
}

TEST_F(ConfigTest, AdminSocketFollowsDataDir) {
    EXPECT_EQ(load("data_dir = \"/srv/rp\"\n").admin_socket, "/srv/rp/admin.sock");
}

TEST_F(ConfigTest, TypeErrorsNameFileAndKey) {
    EXPECT_EQ(error_of("[smtp]\nmax_recipients = \"abc\"\n"),
              dir.file("ringpost.toml") + ": smtp.max_recipients: expected a positive integer, got \"abc\"");
    struct Case {
        const char* toml;
        const char* key;
    } cases[] = {
        {"hostname = 5", "hostname"},
        {"hostname = \"bad host\"", "hostname"},
        {"data_dir = true", "data_dir"},
        {"data_dir = \"\"", "data_dir"},
        {"threads = -1", "threads"},
        {"threads = 5000", "threads"},
        {"pool_nice = 20", "pool_nice"},
        {"pool_nice = -1", "pool_nice"},
        {"admin_socket = 1", "admin_socket"},
        {"[smtp]\nlisten = 25", "smtp.listen"},
        {"[smtp]\nlisten = []", "smtp.listen"},
        {"[smtp]\nlisten = [\"localhost:25\"]", "smtp.listen[0]"},
        {"[smtp]\nlisten = [\"127.0.0.1:25\", \"1.2.3.4:99999\"]", "smtp.listen[1]"},
        {"[smtp]\nmax_message_size = 0", "smtp.max_message_size"},
        {"[smtp]\nmax_recipients = 1.5", "smtp.max_recipients"},
        {"[smtp]\nmax_connections = 0", "smtp.max_connections"},
        {"[smtp]\nmax_connections_per_ip = \"10\"", "smtp.max_connections_per_ip"},
        {"[imap]\nmax_connections = 0", "imap.max_connections"},
        {"[imap]\nmax_connections_per_ip = -1", "imap.max_connections_per_ip"},
        {"[pop3]\nmax_connections = \"5\"", "pop3.max_connections"},
        {"[pop3]\nmax_connections_per_ip = 0", "pop3.max_connections_per_ip"},
        {"[submission]\nmax_connections = 1.5", "submission.max_connections"},
        {"[submission]\nmax_connections_per_ip = 0", "submission.max_connections_per_ip"},
        {"[smtp]\nmax_bad_commands = -3", "smtp.max_bad_commands"},
        {"[smtp]\nsoft_error_limit = 0", "smtp.soft_error_limit"},
        {"[smtp]\nhard_error_limit = \"20\"", "smtp.hard_error_limit"},
        {"[smtp]\njunk_command_limit = -1", "smtp.junk_command_limit"},
        {"[smtp]\nerror_delay = \"fast\"", "smtp.error_delay"},
        {"[smtp]\nmax_command_line = 100", "smtp.max_command_line"},
        {"[smtp]\nmax_data_line = 999", "smtp.max_data_line"},
        {"[smtp]\ncommand_timeout = \"5 minutes\"", "smtp.command_timeout"},
        {"[smtp]\ndata_timeout = 0", "smtp.data_timeout"},
        {"[smtp]\nmin_data_rate = -5", "smtp.min_data_rate"},
        {"[smtp]\nmax_inflight_bytes = -1", "smtp.max_inflight_bytes"},
        {"[smtp]\nmax_inflight_bytes_per_ip = \"2M\"", "smtp.max_inflight_bytes_per_ip"},
        {"[smtp]\nmax_inflight_bytes = 1048576", "smtp.max_inflight_bytes"},          // below 8 x 256 KiB
        {"[smtp]\nmax_inflight_bytes_per_ip = 1000", "smtp.max_inflight_bytes_per_ip"},
        {"[smtp]\nshutdown_grace = true", "smtp.shutdown_grace"},
        {"[relay]\nlocal_domains = [\"exa mple.test\"]", "relay.local_domains[0]"},
        {"[relay]\nlocal_domains = [1]", "relay.local_domains[0]"},
        {"[relay]\nrelay_networks = [\"10.0.0.0/33\"]", "relay.relay_networks[0]"},
        {"[relay]\nrelay_networks = [\"not-an-ip\"]", "relay.relay_networks[0]"},
        {"[log]\nlevel = \"verbose\"", "log.level"},
        {"smtp = 5", "smtp"},
    };
    for (const auto& c : cases) {
        std::string err = error_of(c.toml);
        EXPECT_THAT(err, StartsWith(dir.file("ringpost.toml") + ": " + c.key + ": ")) << c.toml;
        EXPECT_EQ(err.find('\n'), std::string::npos) << err;
    }
}

TEST_F(ConfigTest, MessagesSayWhatWasExpected) {
    EXPECT_THAT(error_of("[smtp]\nmax_command_line = 100"), HasSubstr("expected an integer from 512 to"));
    EXPECT_THAT(error_of("[smtp]\nmax_command_line = 9000"), HasSubstr("expected an integer from 512 to 8192"));
    EXPECT_THAT(error_of("[log]\nlevel = \"verbose\""), HasSubstr("got \"verbose\""));
    EXPECT_THAT(error_of("[smtp]\nlisten = [\"localhost:25\"]"), HasSubstr("host names are not accepted"));
    EXPECT_THAT(error_of("[relay]\nrelay_networks = [\"10.0.0.1/8\"]"), HasSubstr("did you mean \"10.0.0.0/8\""));
}

TEST_F(ConfigTest, Durations) {
    EXPECT_EQ(load("[smtp]\ncommand_timeout = 42").smtp.command_timeout, 42u);
    EXPECT_EQ(load("[smtp]\ncommand_timeout = \"30s\"").smtp.command_timeout, 30u);
    EXPECT_EQ(load("[smtp]\ncommand_timeout = \"5m\"").smtp.command_timeout, 300u);
    EXPECT_EQ(load("[smtp]\ncommand_timeout = \"2h\"").smtp.command_timeout, 7200u);
    EXPECT_EQ(load("[smtp]\ncommand_timeout = \"1d\"").smtp.command_timeout, 86400u);
    EXPECT_EQ(load("[smtp]\ncommand_timeout = \"1h30m\"").smtp.command_timeout, 5400u);

    uint32_t s = 0;
    EXPECT_TRUE(config::parse_duration("120", s));
    EXPECT_EQ(s, 120u);
    EXPECT_FALSE(config::parse_duration("", s));
    EXPECT_FALSE(config::parse_duration("m", s));
    EXPECT_FALSE(config::parse_duration("5x", s));
    EXPECT_FALSE(config::parse_duration("-5s", s));
    EXPECT_FALSE(config::parse_duration("1h30", s));
    EXPECT_FALSE(config::parse_duration("99999999d", s));   // beyond 32 bits of seconds
}

TEST_F(ConfigTest, StoreMinFreeSpace) {
    // Postfix's queue_minfree, with a default that leaves room for several
    // maximum-size messages in flight.
    EXPECT_EQ(load("").store.min_free_space, 256u << 20);
    EXPECT_EQ(load("[store]\nmin_free_space = 0").store.min_free_space, 0u);
    EXPECT_EQ(load("[store]\nmin_free_space = 1048576").store.min_free_space, 1048576u);
    EXPECT_EQ(load("[store]\nmin_free_space = \"64M\"").store.min_free_space, 64u << 20);
    EXPECT_EQ(load("[store]\nmin_free_space = \"2GiB\"").store.min_free_space, uint64_t{2} << 30);
    EXPECT_THAT(error_of("[store]\nmin_free_space = -1"), HasSubstr("store.min_free_space: expected a size in bytes"));
    EXPECT_THAT(error_of("[store]\nmin_free_space = \"64X\""), HasSubstr("got \"64X\""));
    EXPECT_THAT(error_of("[store]\nmin_free_space = true"), HasSubstr("store.min_free_space"));
    EXPECT_THAT(error_of("[store]\nmin_free_spac = 1"), HasSubstr("did you mean \"min_free_space\""));

    uint64_t b = 0;
    EXPECT_TRUE(config::parse_byte_size("512", b));
    EXPECT_EQ(b, 512u);
    EXPECT_TRUE(config::parse_byte_size("512B", b));
    EXPECT_EQ(b, 512u);
    EXPECT_TRUE(config::parse_byte_size("4k", b));
    EXPECT_EQ(b, 4096u);
    EXPECT_TRUE(config::parse_byte_size("3MB", b));
    EXPECT_EQ(b, 3u << 20);
    EXPECT_TRUE(config::parse_byte_size("1Ti", b));
    EXPECT_EQ(b, uint64_t{1} << 40);
    EXPECT_FALSE(config::parse_byte_size("", b));
    EXPECT_FALSE(config::parse_byte_size("M", b));
    EXPECT_FALSE(config::parse_byte_size("5 M", b));
    EXPECT_FALSE(config::parse_byte_size("5MM", b));
    EXPECT_FALSE(config::parse_byte_size("5iB", b));
    EXPECT_FALSE(config::parse_byte_size("-5", b));
    EXPECT_FALSE(config::parse_byte_size("9999999999T", b));      // beyond 2^63 bytes
    EXPECT_FALSE(config::parse_byte_size("99999999999999999999", b));
}

TEST_F(ConfigTest, ErrorLimits) {
    // Postfix's defaults: smtpd_soft_error_limit 10, smtpd_hard_error_limit
    // 20, smtpd_junk_command_limit 100, smtpd_error_sleep_time 1s.
    config::Config d = load("");
    EXPECT_EQ(d.smtp.soft_error_limit, 10u);
    EXPECT_EQ(d.smtp.hard_error_limit, 20u);
    EXPECT_EQ(d.smtp.junk_command_limit, 100u);
    EXPECT_EQ(d.smtp.error_delay_ms, 1000u);
    // error_delay: seconds (integer or fraction), "NNNms", or a duration; 0 = none.
    struct {
        const char* value;
        uint32_t ms;
    } good[] = {{"2", 2000}, {"0.29", 290}, {"\"200ms\"", 200}, {"\"1s\"", 1000},
                {"\"1m\"", 60000}, {"0", 0}, {"\"0ms\"", 0}};
    for (const auto& g : good)
        EXPECT_EQ(load(std::string("[smtp]\nerror_delay = ") + g.value).smtp.error_delay_ms, g.ms) << g.value;
    for (const char* bad : {"-1", "61", "60.5", "\"2m\"", "\"ms\"", "\"5xms\"", "\"-5ms\"", "\"1.5s\"", "true", "nan"}) {
        EXPECT_THAT(error_of(std::string("[smtp]\nerror_delay = ") + bad),
                    HasSubstr("smtp.error_delay: expected a delay from 0 to 60 seconds"))
            << bad;
    }
    // max_bad_commands is the old name of hard_error_limit; not both.
    EXPECT_EQ(load("[smtp]\nmax_bad_commands = 7").smtp.hard_error_limit, 7u);
    EXPECT_THAT(error_of("[smtp]\nhard_error_limit = 7\nmax_bad_commands = 7"),
                HasSubstr("hard_error_limit and max_bad_commands are one setting"));
}

TEST_F(ConfigTest, UnknownKeysAreErrors) {
    EXPECT_EQ(error_of("[smtp]\nmax_recipient = 10\n"),
              dir.file("ringpost.toml") + ": smtp.max_recipient: unknown key (did you mean \"max_recipients\"?)");
    EXPECT_EQ(error_of("colour = 1\n"), dir.file("ringpost.toml") + ": colour: unknown key");
    EXPECT_THAT(error_of("[smpt]\nlisten = []\n"), HasSubstr(": smpt: unknown key (did you mean \"smtp\"?)"));
    EXPECT_THAT(error_of("[relay]\nlocal = []\n"), HasSubstr(": relay.local: unknown key"));
    EXPECT_THAT(error_of("[log]\nfile = \"x\"\n"), HasSubstr(": log.file: unknown key"));
}

TEST_F(ConfigTest, TlsAndSubmissionTables) {
    config::Config d = config::default_config();
    EXPECT_TRUE(d.tls.cert.empty());
    EXPECT_TRUE(d.tls.starttls);
    EXPECT_EQ(d.tls.min_version, "TLSv1.2");
    EXPECT_EQ(d.submission.listen.at(0).text, "127.0.0.1:5870");
    EXPECT_EQ(d.smtps.listen.at(0).text, "127.0.0.1:4650");
    EXPECT_EQ(d.pop3s.listen.at(0).text, "127.0.0.1:9950");
    EXPECT_EQ(d.imaps.listen.at(0).text, "127.0.0.1:9930");
    EXPECT_EQ(d.delivery.tls.default_policy, "may");
    EXPECT_FALSE(d.smtp.allow_plaintext_auth);

    config::Config c = load(std::string(kReference) +
                    "[tls]\ncert = \"a.pem\"\nkey = \"a.key\"\nmin_version = \"TLSv1.3\"\nstarttls = false\n"
                    "[submission]\nlisten = [\"127.0.0.1:587\"]\nrequire_sender_match = false\n"
                    "[smtps]\nlisten = []\n[pop3s]\nlisten = \"[::1]:995\"\n[imaps]\n"
                    "[delivery.tls]\ndefault = \"encrypt\"\nca_file = \"ca.pem\"\n"
                    "[delivery.tls.domains]\n\"Secure.Test\" = \"verify\"\n");
    EXPECT_EQ(c.hostname, "mx.example.test");
    EXPECT_EQ(c.tls.cert, "a.pem");
    EXPECT_EQ(c.tls.key, "a.key");
    EXPECT_EQ(c.tls.min_version, "TLSv1.3");
    EXPECT_FALSE(c.tls.starttls);
    EXPECT_EQ(c.submission.listen.at(0).port, 587);
    EXPECT_FALSE(c.submission.require_sender_match);
    EXPECT_TRUE(c.smtps.listen.empty());
    EXPECT_EQ(c.pop3s.listen.at(0).host, "::1");
    EXPECT_EQ(c.imaps.listen.at(0).port, 9930);   // an empty table keeps the default
    EXPECT_EQ(c.delivery.tls.default_policy, "encrypt");
    EXPECT_EQ(c.delivery.tls.ca_file, "ca.pem");
    ASSERT_EQ(c.delivery.tls.domains.size(), 1u);
    EXPECT_EQ(c.delivery.tls.domains[0], (std::pair<std::string, std::string>{"secure.test", "verify"}));

    EXPECT_THAT(error_of("tls = 1\n"), HasSubstr(": tls: expected a table"));
    EXPECT_THAT(error_of("[tls]\ncert = \"a.pem\"\n"), HasSubstr(": tls.key: cert and key go together"));
    EXPECT_THAT(error_of("[tls]\nmin_version = \"SSLv3\"\n"), HasSubstr(": tls.min_version: expected"));
    EXPECT_THAT(error_of("[delivery.tls]\ndefault = \"always\"\n"),
                HasSubstr(": delivery.tls.default: expected one of \"none\", \"may\", \"encrypt\", \"verify\""));
    EXPECT_THAT(error_of("[smtp]\nallow_plaintext_auth = 1\n"),
                HasSubstr(": smtp.allow_plaintext_auth: expected true or false"));
    EXPECT_THAT(error_of("[imaps]\nport = 1\n"), HasSubstr(": imaps.port: unknown key"));
}

TEST_F(ConfigTest, DeliveryDefaults) {
    config::Config c = config::default_config();
    EXPECT_TRUE(c.delivery.dns_servers.empty());
    EXPECT_EQ(c.delivery.remote_port, 25);
    EXPECT_EQ(c.delivery.retry_schedule, (std::vector<std::string>{"5m", "10m", "20m", "40m", "1h"}));
    EXPECT_EQ(c.delivery.max_queue_lifetime, 5u * 86400);
    EXPECT_EQ(c.delivery.max_connections_per_destination, 20u);
    EXPECT_EQ(c.delivery.max_connections_per_host, 50u);
    EXPECT_EQ(c.delivery.max_messages_per_connection, 100u);
    EXPECT_EQ(c.delivery.connect_timeout, 30u);
    EXPECT_EQ(c.delivery.delay_warning, 0u);
    EXPECT_EQ(c.delivery.max_hops, 100u);
    EXPECT_TRUE(c.delivery.routes.empty());
}

TEST_F(ConfigTest, DeliveryKeysAreRead) {
    config::Config c = load(std::string(kReference) + R"(
[delivery]
dns_servers = ["127.0.0.1:5353", "[::1]:53", "192.0.2.53"]
remote_port = 2525
retry_schedule = ["1s", "2m"]
max_queue_lifetime = "2d"
max_connections_per_destination = 5
max_connections_per_host = 9
max_messages_per_connection = 7
connect_timeout = "10s"
idle_timeout = "0s"
delay_warning = "4h"
max_hops = 30
[delivery.routes]
"Partner.Test" = "127.0.0.1:2626"
"other.test" = "[::1]"
)");
    const auto& d = c.delivery;
    EXPECT_EQ(d.dns_servers, (std::vector<std::string>{"127.0.0.1:5353", "[::1]:53", "192.0.2.53"}));
    EXPECT_EQ(d.remote_port, 2525);
    EXPECT_EQ(d.retry_schedule, (std::vector<std::string>{"1s", "2m"}));
    EXPECT_EQ(d.max_queue_lifetime, 2u * 86400);
    EXPECT_EQ(d.max_connections_per_destination, 5u);
    EXPECT_EQ(d.max_connections_per_host, 9u);
    EXPECT_EQ(d.max_messages_per_connection, 7u);
    EXPECT_EQ(d.connect_timeout, 10u);
    EXPECT_EQ(d.idle_timeout, 0u);
    EXPECT_EQ(d.delay_warning, 4u * 3600);
    EXPECT_EQ(d.max_hops, 30u);
    ASSERT_EQ(d.routes.size(), 2u);
    EXPECT_EQ(d.routes[0], (std::pair<std::string, std::string>{"partner.test", "127.0.0.1:2626"}));
    EXPECT_EQ(d.routes[1], (std::pair<std::string, std::string>{"other.test", "[::1]"}));
}

TEST_F(ConfigTest, DeliveryErrorsNameTheKey) {
    auto err = [&](const std::string& body) { return error_of("[delivery]\n" + body); };
    EXPECT_THAT(err("dns_servers = [\"dns.example\"]\n"), HasSubstr("delivery.dns_servers[0]: expected an IP address"));
    EXPECT_THAT(err("dns_servers = [\"127.0.0.1:0\"]\n"), HasSubstr("delivery.dns_servers[0]: bad port"));
    EXPECT_THAT(err("remote_port = 70000\n"), HasSubstr("delivery.remote_port: expected an integer from 1 to 65535"));
    EXPECT_THAT(err("retry_schedule = [\"5m\", \"10x\"]\n"), HasSubstr("delivery.retry_schedule: "));
    EXPECT_THAT(err("retry_schedule = []\n"), HasSubstr("delivery.retry_schedule: expected at least one duration"));
    EXPECT_THAT(err("max_queue_lifetime = \"0s\"\n"), HasSubstr("delivery.max_queue_lifetime: expected a positive duration"));
    EXPECT_THAT(err("max_connections_per_destination = 0\n"), HasSubstr("delivery.max_connections_per_destination"));
    EXPECT_THAT(err("max_hop = 1\n"), HasSubstr("delivery.max_hop: unknown key (did you mean \"max_hops\"?)"));
    EXPECT_THAT(err("[delivery.routes]\n\"a.test\" = \"host:x\"\n"), HasSubstr("delivery.routes.\"a.test\": bad port"));
    EXPECT_THAT(err("[delivery.routes]\n\"a.test\" = 5\n"), HasSubstr("delivery.routes.\"a.test\": expected a string"));
}

// Each service has its own connection limits (Dovecot's per-service
// limits); [smtp]'s apply to port 25 only.
TEST_F(ConfigTest, PerServiceConnectionLimits) {
    config::Config d = config::default_config();
    EXPECT_EQ(d.imap.max_connections, 1000u);
    EXPECT_EQ(d.imap.max_connections_per_ip, 50u);
    EXPECT_EQ(d.pop3.max_connections, 1000u);
    EXPECT_EQ(d.pop3.max_connections_per_ip, 50u);
    EXPECT_EQ(d.submission.max_connections, 1000u);
    EXPECT_EQ(d.submission.max_connections_per_ip, 50u);
    config::Config c = load(std::string(kReference) +
                    "[imap]\nmax_connections = 300\nmax_connections_per_ip = 12\n"
                    "[pop3]\nmax_connections = 200\nmax_connections_per_ip = 3\n"
                    "[submission]\nmax_connections = 100\nmax_connections_per_ip = 4\n");
    EXPECT_EQ(c.imap.max_connections, 300u);
    EXPECT_EQ(c.imap.max_connections_per_ip, 12u);
    EXPECT_EQ(c.pop3.max_connections, 200u);
    EXPECT_EQ(c.pop3.max_connections_per_ip, 3u);
    EXPECT_EQ(c.submission.max_connections, 100u);
    EXPECT_EQ(c.submission.max_connections_per_ip, 4u);
    EXPECT_EQ(c.smtp.max_connections, 20000u);   // untouched by the others
    EXPECT_THAT(error_of("[imaps]\nmax_connections = 5\n"), HasSubstr("imaps.max_connections: unknown key"));
}

TEST_F(ConfigTest, ImapSection) {
    config::Config d = config::default_config();
    ASSERT_EQ(d.imap.listen.size(), 1u);
    EXPECT_EQ(d.imap.listen[0].text, "127.0.0.1:1430");
    EXPECT_EQ(d.imap.idle_timeout, 1800u);
    EXPECT_EQ(d.imap.command_time_limit, 30u);
    config::Config c = load(std::string(kReference) +
                    "[imap]\nlisten = [\"127.0.0.1:1431\", \"[::1]:1431\"]\nidle_timeout = \"45m\"\n"
                    "max_bad_commands = 7\ncommand_time_limit = \"2m\"\n");
    ASSERT_EQ(c.imap.listen.size(), 2u);
    EXPECT_EQ(c.imap.listen[1].host, "::1");
    EXPECT_EQ(c.imap.idle_timeout, 2700u);
    EXPECT_EQ(c.imap.max_bad_commands, 7u);
    EXPECT_EQ(c.imap.command_time_limit, 120u);
    EXPECT_EQ(load("[imap]\ncommand_time_limit = 0\n").imap.command_time_limit, 0u);   // no limit
    EXPECT_TRUE(load("[imap]\nlisten = []\n").imap.listen.empty());   // IMAP off
    EXPECT_THAT(error_of("[imap]\nidle_timeout = \"10m\"\n"), HasSubstr("imap.idle_timeout: must be at least 30m"));
    EXPECT_THAT(error_of("[imap]\nx = 1\n"), HasSubstr("imap.x: unknown key"));
}

TEST_F(ConfigTest, Pop3Section) {
    config::Config d = config::default_config();
    ASSERT_EQ(d.pop3.listen.size(), 1u);
    EXPECT_EQ(d.pop3.listen[0].text, "127.0.0.1:1100");
    EXPECT_EQ(d.pop3.idle_timeout, 600u);
    config::Config c = load(std::string(kReference) +
                    "[pop3]\nlisten = [\"127.0.0.1:1110\", \"[::1]:1110\"]\nidle_timeout = \"15m\"\n"
                    "max_bad_commands = 5\nmax_auth_failures = 2\n");
    ASSERT_EQ(c.pop3.listen.size(), 2u);
    EXPECT_EQ(c.pop3.listen[1].host, "::1");
    EXPECT_EQ(c.pop3.idle_timeout, 900u);
    EXPECT_EQ(c.pop3.max_bad_commands, 5u);
    EXPECT_EQ(c.pop3.max_auth_failures, 2u);
    EXPECT_TRUE(load("[pop3]\nlisten = []\n").pop3.listen.empty());   // POP3 off
    EXPECT_THAT(error_of("[pop3]\nlisten = [\"nope\"]\n"), HasSubstr("pop3.listen[0]: "));
    EXPECT_THAT(error_of("[pop3]\nidle = 1\n"), HasSubstr("pop3.idle: unknown key"));
}

TEST_F(ConfigTest, SyntaxErrorGivesLineAndColumn) {
    std::string err = error_of("hostname = \"a\"\n[smtp]\nmax_recipients = = 3\n");
    EXPECT_THAT(err, StartsWith(dir.file("ringpost.toml") + ":3:"));
    EXPECT_EQ(err.find('\n'), std::string::npos);
}

TEST_F(ConfigTest, MissingFileIsOneLine) {
    try {
        config::load_config(dir.file("nope.toml"));
        FAIL() << "expected config::ConfigError";
    } catch (const config::ConfigError& e) {
        EXPECT_EQ(std::string(e.what()), dir.file("nope.toml") + ": cannot read: No such file or directory");
    }
}

TEST_F(ConfigTest, TooLongAdminSocketIsRejectedEarly) {
    std::string longdir(120, 'd');
    EXPECT_THAT(error_of("data_dir = \"/" + longdir + "\"\n"),
                HasSubstr(": admin_socket: path \"/" + longdir + "/admin.sock\" is too long"));
}

TEST_F(ConfigTest, LoadOrDefaultUsesExplicitPathElseCurrentDirectory) {
    std::string path = dir.write("other.toml", "hostname = \"h.example\"\n");
    EXPECT_EQ(config::load_config_or_default(path).hostname, "h.example");

    auto cwd = std::filesystem::current_path();
    std::filesystem::current_path(dir.path());
    EXPECT_EQ(config::load_config_or_default("").source, "built-in defaults");
    dir.write("ringpost.toml", "hostname = \"cwd.example\"\n");
    config::Config c = config::load_config_or_default("");
    std::filesystem::current_path(cwd);
    EXPECT_EQ(c.hostname, "cwd.example");
    EXPECT_EQ(c.source, "ringpost.toml");
}

TEST_F(ConfigTest, DescribeConfigSummarises) {
    std::string s = config::describe_config(load(kReference));
    EXPECT_THAT(s, HasSubstr("listen: 127.0.0.1:2525\n"));
    EXPECT_THAT(s, HasSubstr("data_dir: ./ringpost-data\n"));
    EXPECT_THAT(s, HasSubstr("local_domains: example.test localhost\n"));
    EXPECT_THAT(s, HasSubstr("dkim: (none)\n"));
    EXPECT_THAT(s, HasSubstr("\nbounce_rules: " + std::to_string(default_bounce_rules().size()) + " rules built in\n"));
    EXPECT_THAT(s, HasSubstr("egress_pools: (none)\negress_default_pool: (none)\n"));
}

TEST_F(ConfigTest, DkimKeysFollowDataDirAndNamesAreLowerCased) {
    config::Config c = load("data_dir = \"/srv/rp\"\n[dkim]\nheaders = [\"From\", \"List-Unsubscribe\"]\n"
                            "[dkim.domains]\n\"Example.COM\" = [\"ed\", \"rsa\"]\n"
                            "[dkim.users]\n\"Bob@Shop.example\" = \"EXAMPLE.com\"\n");
    EXPECT_EQ(c.dkim.key_dir, "/srv/rp/dkim");
    ASSERT_EQ(c.dkim.domains.size(), 1u);
    EXPECT_EQ(c.dkim.domains[0].first, "example.com");
    EXPECT_EQ(c.dkim.domains[0].second, (std::vector<std::string>{"ed", "rsa"}));
    ASSERT_EQ(c.dkim.users.size(), 1u);
    EXPECT_EQ(c.dkim.users[0], (std::pair<std::string, std::string>{"bob@shop.example", "example.com"}));
    EXPECT_EQ(c.dkim.headers, (std::vector<std::string>{"from", "list-unsubscribe"}));
    EXPECT_EQ(c.dkim.sign, "trusted");
    EXPECT_EQ(config::default_config().dkim.key_dir, "./ringpost-data/dkim");
}

TEST_F(ConfigTest, DkimMistakesNameTheKey) {
    EXPECT_THAT(error_of("[dkim.domains]\n\"example.com\" = [\"bad_selector\"]\n"),
                HasSubstr("dkim.domains.\"example.com\"[0]: expected a selector (letters, digits, '-', '.'), got "
                          "\"bad_selector\""));
    EXPECT_THAT(error_of("[dkim.domains]\n\"example.com\" = []\n"), HasSubstr("expected at least one selector"));
    EXPECT_THAT(error_of("[dkim.domains]\n\"example.com\" = [\"ed\"]\n[dkim.users]\n\"a@b.example\" = \"other.com\"\n"),
                HasSubstr("dkim.users.\"a@b.example\": domain \"other.com\" has no keys in [dkim.domains]"));
    EXPECT_THAT(error_of("[dkim]\nsign = \"everyone\"\n"), HasSubstr("got \"everyone\""));
    EXPECT_THAT(error_of("[dkim]\nheaders = [\"From:\"]\n"), HasSubstr("expected a header field name"));
    EXPECT_THAT(error_of("[dkim]\nheaders = [\"Subject\"]\n"), HasSubstr("dkim.headers: must include From"));
    EXPECT_THAT(error_of("[dkim]\ncanonicalization = \"relaxed\"\n"), HasSubstr("got \"relaxed\""));
}


TEST_F(ConfigTest, ShapingSitesAndTheirLimits) {
    config::Config c = load("[delivery]\nmax_connections_per_destination = 7\n"
                            "[shaping]\nmax_message_rate = \"100/min\"\n"
                            "[shaping.sites.google]\nmx = [\"*.google.com\"]\nmax_message_rate = \"300/min\"\n"
                            "tls = \"verify\"\nidle_timeout = \"10s\"\n"
                            "[shaping.sites.corp]\ndomains = [\"corp.example\"]\nmax_connections = 2\n");
    // TOML tables come in name order: "corp", then "google".
    ASSERT_EQ(c.shaping.sites.size(), 2u);
    EXPECT_EQ(c.shaping.sites[1].name, "google");
    EXPECT_EQ(c.shaping.sites[1].mx, (std::vector<std::string>{"*.google.com"}));
    EXPECT_EQ(c.shaping.sites[0].max_connections, 2u);
    delivery::ShapingConfig s = config::shaping_config(c);
    EXPECT_TRUE(s.mx_rollup);
    EXPECT_EQ(s.defaults.max_connections, 7u);
    EXPECT_EQ(s.defaults.max_message_rate, (delivery::Rate{100, std::chrono::minutes(1)}));
    ASSERT_EQ(s.rules.size(), 2u);
    EXPECT_EQ(s.rules[1].max_message_rate, (delivery::Rate{300, std::chrono::minutes(1)}));
    EXPECT_EQ(s.rules[1].tls, delivery::TlsPolicy::kVerify);
    EXPECT_EQ(s.rules[1].idle_timeout, std::chrono::seconds(10));
    EXPECT_FALSE(s.rules[0].max_message_rate.has_value()) << "unset limits come from the defaults";
}

TEST_F(ConfigTest, ShapingMistakesNameTheKey) {
    EXPECT_THAT(error_of("[shaping]\nmax_message_rate = \"300 per minute\"\n"),
                HasSubstr("shaping.max_message_rate: expected a rate like \"300/min\""));
    EXPECT_THAT(error_of("[shaping.sites.g]\nmx = [\"*.google.com\"]\nmax_message_rate = \"0/s\"\n"),
                HasSubstr("shaping.sites.\"g\".max_message_rate: expected a count from 1"));
    EXPECT_THAT(error_of("[shaping.sites.g]\nmax_connections = 3\n"), HasSubstr("expected domains = [...] or mx = [...]"));
    EXPECT_THAT(error_of("[shaping.sites.g]\nmx = [\"bad..name\"]\n"), HasSubstr("shaping.sites.\"g\".mx[0]"));
    EXPECT_THAT(error_of("[shaping.sites.g]\nmx = [\"a.b\"]\nmax_conections = 3\n"),
                HasSubstr("did you mean \"max_connections\""));
    EXPECT_THAT(error_of("[shaping.sites.\"a:b\"]\nmx = [\"a.b\"]\n"), HasSubstr("expected a site name without ':'"));
    EXPECT_THAT(error_of("[shaping.sites.a]\nmx = [\"*.x.example\"]\n[shaping.sites.b]\nmx = [\"*.X.example\"]\n"),
                HasSubstr("\"*.X.example\" is in site \"a\" too; a pattern belongs to one site"));
}

constexpr const char* kEgress =
    "hostname = \"mx.example.org\"\n"
    "[egress]\ndefault_pool = \"bulk\"\n"
    "[egress.sources.s2]\naddress = \"127.0.0.2\"\nehlo = \"mta2.example.org\"\n"
    "[egress.sources.s3]\naddress = \"127.0.0.3\"\n"
    "[egress.sources.v6]\naddress = \"2001:db8::25\"\n"
    "[egress.pools.bulk]\nsources = [\"s2\", \"s3\"]\nweights = [3, 1]\n"
    "[egress.pools.vip]\nsources = [\"v6\", \"s3\"]\n"
    "[egress.sender_domains]\n\"News.Example\" = \"vip\"\n"
    "[egress.users]\n\"Alice@Example.ORG\" = \"vip\"\n";

TEST_F(ConfigTest, EgressSourcesAndPools) {
    config::Config c = load(kEgress);
    EXPECT_EQ(c.egress.default_pool, "bulk");
    ASSERT_EQ(c.egress.sources.size(), 3u);
    EXPECT_EQ(c.egress.sources[0].ehlo, "mta2.example.org");
    EXPECT_EQ(c.egress.sources[1].ehlo, "");
    EXPECT_EQ(c.egress.sender_domains, (std::vector<std::pair<std::string, std::string>>{{"news.example", "vip"}}));
    EXPECT_EQ(c.egress.users, (std::vector<std::pair<std::string, std::string>>{{"alice@example.org", "vip"}}));

    delivery::EgressConfig e = config::egress_config(c);
    EXPECT_EQ(e.default_pool, "bulk");
    ASSERT_EQ(e.sources.size(), 3u);
    EXPECT_EQ(e.sources[0].ehlo, "mta2.example.org");
    EXPECT_EQ(e.sources[1].ehlo, "mx.example.org") << "ehlo defaults to hostname";
    EXPECT_EQ(e.sources[2].address, "2001:db8::25");
    const delivery::EgressPool* bulk = e.find_pool("bulk");
    ASSERT_NE(bulk, nullptr);
    EXPECT_EQ(bulk->sources, (std::vector<size_t>{0, 1}));
    EXPECT_EQ(bulk->weights, (std::vector<uint32_t>{3, 1}));
    EXPECT_EQ(e.find_pool("vip")->sources, (std::vector<size_t>{2, 1}));
    EXPECT_EQ(e.find_pool("vip")->weights, (std::vector<uint32_t>{1, 1})) << "no weights: equal";
    EXPECT_EQ(config::engine_config(c).egress.pools.size(), 2u);
    EXPECT_THAT(config::describe_config(c), HasSubstr("egress_pools: bulk=s2,s3 vip=v6,s3\negress_default_pool: bulk\n"));

    // No [egress]: no pool, today's unbound connections.
    delivery::EgressConfig none = config::egress_config(config::default_config());
    EXPECT_TRUE(none.sources.empty());
    EXPECT_EQ(none.default_pool, "");
}

TEST_F(ConfigTest, EgressMistakesNameTheKey) {
    const std::string sources = "[egress.sources.s2]\naddress = \"127.0.0.2\"\n";
    const std::string pool = "[egress.pools.bulk]\nsources = [\"s2\"]\n";
    EXPECT_THAT(error_of(sources + pool + "[egress]\ndefault_pool = \"blk\"\n"),
                HasSubstr("egress.default_pool: unknown pool \"blk\" (not in [egress.pools])"));
    EXPECT_THAT(error_of(sources + pool + "[egress.sender_domains]\n\"a.example\" = \"nope\"\n"),
                HasSubstr("egress.sender_domains.\"a.example\": unknown pool \"nope\""));
    EXPECT_THAT(error_of(sources + pool + "[egress.users]\n\"a@b.example\" = \"nope\"\n"),
                HasSubstr("egress.users.\"a@b.example\": unknown pool \"nope\""));
    EXPECT_THAT(error_of(sources + "[egress.pools.bulk]\nsources = [\"s2\", \"s9\"]\n"),
                HasSubstr("egress.pools.\"bulk\".sources[1]: unknown source \"s9\" (not in [egress.sources])"));
    EXPECT_THAT(error_of("[egress.sources.s2]\naddress = \"mta2.example\"\n"),
                HasSubstr("egress.sources.\"s2\".address: expected an IPv4 or IPv6 address, got \"mta2.example\""));
    EXPECT_THAT(error_of("[egress.sources.s2]\nehlo = \"mta2.example\"\n"),
                HasSubstr("egress.sources.\"s2\": expected address = \"...\""));
    EXPECT_THAT(error_of("[egress.sources.s2]\naddress = \"::1\"\nehlo = \"bad name\"\n"),
                HasSubstr("egress.sources.\"s2\".ehlo: expected a host name"));
    EXPECT_THAT(error_of("[egress.sources.s2]\naddress = \"::1\"\nehl = \"x\"\n"), HasSubstr("did you mean \"ehlo\""));
    EXPECT_THAT(error_of("[egress.sources.\"a|b\"]\naddress = \"::1\"\n"),
                HasSubstr("egress.sources.\"a|b\": expected a name of letters, digits"));
    EXPECT_THAT(error_of(sources + "[egress.pools.bulk]\nsources = [\"s2\"]\nweights = [1, 2]\n"),
                HasSubstr("egress.pools.\"bulk\".weights: expected one weight per source (1), got 2"));
    EXPECT_THAT(error_of(sources + "[egress.pools.bulk]\nsources = [\"s2\"]\nweights = [0]\n"),
                HasSubstr("egress.pools.\"bulk\".weights[0]"));
    EXPECT_THAT(error_of(sources + "[egress.pools.bulk]\nsources = []\n"), HasSubstr("at least one source"));
    EXPECT_THAT(error_of(sources + "[egress.pools.bulk]\nsources = [\"s2\", \"s2\"]\n"),
                HasSubstr("\"s2\" is named twice"));
}

}  // namespace
}  // namespace ringpost::config

namespace ringpost::test {
namespace {

TEST(ConfigInbound, DefaultsAndEveryKey) {
    const config::Config d = config::default_config();
    EXPECT_EQ(d.inbound.authserv_id, "");   // the hostname
    EXPECT_FALSE(d.inbound.check_trusted);
    EXPECT_EQ(d.inbound.spf, "tag");
    EXPECT_EQ(d.inbound.spf_temperror, "accept");
    EXPECT_EQ(d.inbound.spf_helo, "null_sender");
    EXPECT_EQ(d.inbound.dkim, "tag");
    EXPECT_EQ(d.inbound.dmarc, "tag");
    EXPECT_EQ(d.inbound.dmarc_quarantine, "tag");
    const config::Config c = config::parse_config(kEveryKey, "every.toml");
    EXPECT_EQ(c.inbound.authserv_id, "mx.example.org");
    EXPECT_TRUE(c.inbound.check_trusted);
    EXPECT_EQ(c.inbound.spf, "reject");
    EXPECT_EQ(c.inbound.spf_temperror, "tempfail");
    EXPECT_EQ(c.inbound.spf_helo, "always");
    EXPECT_EQ(c.inbound.dkim, "off");
    EXPECT_EQ(c.inbound.dmarc, "off");
    EXPECT_EQ(c.inbound.dmarc_quarantine, "junk");
    EXPECT_THROW(config::parse_config("[inbound]\ndmarc_quarantine = \"quarantine\"\n", "t.toml"),
                 config::ConfigError);
    EXPECT_EQ(config::parse_config("[inbound]\ndmarc = \"reject\"\n", "t.toml").inbound.dmarc, "reject");
    EXPECT_THROW(config::parse_config("[inbound]\ndmarc = \"quarantine\"\n", "t.toml"), config::ConfigError);
    // DMARC decides from SPF's and DKIM's results.
    EXPECT_THROW(config::parse_config("[inbound]\ndkim = \"off\"\n", "t.toml"), config::ConfigError);
    EXPECT_EQ(config::parse_config("[inbound]\ndkim = \"off\"\ndmarc = \"off\"\n", "t.toml").inbound.dkim, "off");
    EXPECT_THROW(config::parse_config("[inbound]\nspf = \"strict\"\n", "t.toml"), config::ConfigError);
    EXPECT_THROW(config::parse_config("[inbound]\nauthserv_id = \"mx example\"\n", "t.toml"), config::ConfigError);
}

}  // namespace
}  // namespace ringpost::test
