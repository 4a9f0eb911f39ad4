// The screening's counters (metrics/registry.hpp), resolved once at first
// use: what became of the clients screened before the greeting
// (ringpost_screen_total) and what each DNSBL query said
// (ringpost_dnsbl_lookups_total). README "Metrics" lists them.
#pragma once

#include <array>
#include <cstdint>

#include "metrics/registry.hpp"

namespace ringpost::server {

enum class ScreenEvent : uint8_t {
    kPass,              // screened and greeted
    kDnsblRejected,     // score at dnsbl_threshold or above: 554 5.7.1
    kDnsblAllowlisted,  // score at dnsbl_allowlist_threshold or below: the pregreet test skipped
    kPregreet,          // talked before the greeting, pregreet = "enforce": 554 5.5.1
    kPregreetIgnored,   // the same with pregreet = "ignore": logged, greeted
    kHangup,            // left (or broke the connection) before the greeting
    kConnectionRate,    // over max_connection_rate_per_ip: 421 4.7.0
    kMessageRate,       // a MAIL FROM over max_message_rate_per_ip: 450 4.7.1
    kShutdown,          // the server began to stop during the screening
    kCached,            // every test a remembered pass (screen_cache.hpp): greeted at once
};
inline constexpr size_t kScreenEventCount = static_cast<size_t>(ScreenEvent::kCached) + 1;

enum class DnsblResult : uint8_t {
    kListed,     // an A record the list means as a listing
    kNotListed,  // NXDOMAIN or NODATA
    kTimeout,    // no answer within dnsbl_timeout (or a temporary DNS failure)
    kError,      // 127.255.255.252-255 or an address outside 127.0.0.0/8
};
inline constexpr size_t kDnsblResultCount = static_cast<size_t>(DnsblResult::kError) + 1;

const char* screen_event_name(ScreenEvent e);
const char* dnsbl_result_name(DnsblResult r);

struct ScreenMetrics {
    std::array<metrics::Counter, kScreenEventCount> events;
    std::array<metrics::Counter, kDnsblResultCount> lookups;

    void count(ScreenEvent e) const { events[static_cast<size_t>(e)].inc(); }
    void count(DnsblResult r) const { lookups[static_cast<size_t>(r)].inc(); }
};

const ScreenMetrics& screen_metrics();

}  // namespace ringpost::server
