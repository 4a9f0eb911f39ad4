// A configuration file that sets every key to a value other than its
// default, for tests that follow each key to where it lands (keys_test.cpp
// checks that it really covers every key of the table).
#pragma once

namespace ringpost::test {

constexpr const char* kEveryKey = R"(hostname = "relay.example.org"
data_dir = "/var/spool/rp"
threads = 4
pool_nice = 0
admin_socket = "/run/rp.sock"
proxy_networks = ["10.1.0.0/16", "2001:db8:1::/48"]
[smtp]
listen = ["0.0.0.0:25", "[::]:25"]
max_message_size = 1000
max_recipients = 5
max_connections = 6
max_connections_per_ip = 7
soft_error_limit = 3
hard_error_limit = 8
junk_command_limit = 50
error_delay = "250ms"
max_command_line = 600
max_data_line = 2000
command_timeout = "1h30m"
data_timeout = 90
min_data_rate = 0
shutdown_grace = 0
allow_plaintext_auth = true
max_inflight_bytes = 4194304
max_inflight_bytes_per_ip = 1048576
proxy_protocol = true
screen = false
max_connection_rate_per_ip = 30
max_message_rate_per_ip = 60
[relay]
local_domains = ["Example.ORG", "b.example"]
relay_networks = ["10.0.0.0/8"]
[log]
level = "debug"
[metrics]
top_sites = 5
[delivery]
dns_servers = ["127.0.0.1:5353", "[::1]:53"]
remote_port = 2626
retry_schedule = ["1m", "2h"]
max_queue_lifetime = "2d"
max_connections_per_destination = 3
max_connections_per_host = 4
max_messages_per_connection = 5
connect_timeout = 7
idle_timeout = 0
delay_warning = "4h"
max_hops = 30
bounce_rules = ")" RINGPOST_SOURCE_ROOT R"(/data/bounce-rules.toml"
[delivery.routes]
"b.example" = "[::1]:25"
"partner.TEST" = "127.0.0.1:2626"
[delivery.tls]
default = "encrypt"
ca_file = "/etc/ssl/ca.pem"
[delivery.tls.domains]
"bank.example" = "verify"
[pop3]
listen = []
idle_timeout = "15m"
max_bad_commands = 9
max_auth_failures = 2
max_connections = 11
max_connections_per_ip = 12
proxy_protocol = true
[imap]
listen = ["127.0.0.1:143"]
idle_timeout = "45m"
max_bad_commands = 13
command_time_limit = 0
max_connections = 14
max_connections_per_ip = 15
proxy_protocol = true
[store]
min_free_space = "1G"
[tls]
cert = "/etc/rp/cert.pem"
key = "/etc/rp/key \"quoted\".pem"
min_version = "TLSv1.3"
ciphers = "ECDHE+AESGCM"
ciphersuites = "TLS_AES_256_GCM_SHA384"
starttls = false
[submission]
listen = ["0.0.0.0:587"]
require_sender_match = false
screen = true
max_connections = 16
max_connections_per_ip = 17
proxy_protocol = true
[smtps]
listen = ["0.0.0.0:465"]
proxy_protocol = true
[pop3s]
listen = []
proxy_protocol = true
[imaps]
listen = ["0.0.0.0:993"]
proxy_protocol = true
[shaping]
mx_rollup = false
automation = ")" RINGPOST_SOURCE_ROOT R"(/data/shaping-automation.toml"
builtin_automation = false
max_message_rate = "1000/h"
max_connection_rate = "10/s"
[shaping.sites.google]
mx = ["*.google.com", "*.googlemail.com"]
max_connections = 40
max_messages_per_connection = 50
max_message_rate = "300/min"
max_connection_rate = "unlimited"
idle_timeout = "5s"
tls = "verify"
[shaping.sites.yahoo]
domains = ["yahoo.com", "*.yahoo.co.jp"]
max_message_rate = "20/s"
[dkim]
key_dir = "/etc/rp/dkim"
sign = "submission"
headers = ["From", "subject"]
canonicalization = "simple/relaxed"
expire_after = "7d"
[dkim.domains]
"Example.ORG" = ["ed2026", "rsa2026"]
[dkim.users]
"Carol@Customer.example" = "example.org"
[egress]
default_pool = "bulk"
[egress.sources.s2]
address = "127.0.0.2"
ehlo = "mta2.example.org"
[egress.sources.v6]
address = "2001:db8::25"
[egress.pools.bulk]
sources = ["s2", "v6"]
weights = [3, 1]
[egress.pools.vip]
sources = ["v6"]
[egress.sender_domains]
"News.Example.ORG" = "bulk"
[egress.users]
"Alice@Example.ORG" = "vip"
[milters.spam]
address = "127.0.0.1:11332"
connect_timeout = "2s"
command_timeout = "5s"
total_timeout = "20s"
on_failure = "accept"
apply_to = ["smtp"]
[milters.virus]
address = "unix:/run/clamav/milter.sock"
[http]
listen = ["0.0.0.0:8443"]
tls = true
tokens_file = "/etc/rp/http-tokens"
max_body_size = "2M"
idle_timeout = "2m"
max_message_rate = "600/min"
max_connections = 18
max_connections_per_ip = 19
proxy_protocol = true
[screen]
dnsbl_sites = ["zen.test*3", "bl.test=127.0.0.[4..5]*2", "wl.test*-2"]
dnsbl_threshold = 3
dnsbl_allowlist_threshold = -1
dnsbl_timeout = "500ms"
pregreet = "enforce"
greet_wait = 0.3
dnsbl_ttl = "10m"
pregreet_ttl = "2h"
cache_max_entries = 200
screen_trusted = true
[inbound]
authserv_id = "mx.example.org"
check_trusted = true
spf = "reject"
spf_temperror = "tempfail"
spf_helo = "always"
dkim = "off"
dmarc = "off"
dmarc_quarantine = "junk"
[greylist]
enabled = true
domains = ["Example.ORG"]
delay = "10m"
retry_window = "1d"
lifetime = "20d"
whitelist_networks = ["192.0.2.0/24"]
whitelist_recipients = ["postmaster@example.org", "@Friends.example"]
auto_whitelist_after = 0
network_prefix_v4 = 32
network_prefix_v6 = 48
max_entries = 500
reply = "Come back in %s s"
[events]
max_events = 5000
retention = "1d"
file = "/var/log/rp-events.jsonl"
[events.webhooks.crm]
url = "https://hooks.example.org/rp"
batch_size = 10
max_batch_delay = "250ms"
timeout = "3s"
retry_initial = "500ms"
retry_max = "1m"
headers = { Authorization = "Bearer abc" }
)";

}  // namespace ringpost::test
