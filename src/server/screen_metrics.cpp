#include "server/screen_metrics.hpp"

namespace ringpost::server {
namespace {

ScreenMetrics make_screen_metrics() {
    auto& events = metrics::global().counter(
        "ringpost_screen_total",
        "clients screened before the SMTP greeting, by result (pass, dnsbl, allowlisted, pregreet, "
        "pregreet_ignored, hangup, connection_rate, message_rate, shutdown, cached)",
        {"result"});
    auto& lookups = metrics::global().counter(
        "ringpost_dnsbl_lookups_total", "DNSBL queries by zone answer (listed, not_listed, timeout, error)", {"result"});
    ScreenMetrics m;
    for (size_t i = 0; i < kScreenEventCount; ++i) m.events[i] = events.with({screen_event_name(static_cast<ScreenEvent>(i))});
    for (size_t i = 0; i < kDnsblResultCount; ++i)
        m.lookups[i] = lookups.with({dnsbl_result_name(static_cast<DnsblResult>(i))});
    return m;
}

}  // namespace

const char* screen_event_name(ScreenEvent e) {
    switch (e) {
        case ScreenEvent::kPass: return "pass";
        case ScreenEvent::kDnsblRejected: return "dnsbl";
        case ScreenEvent::kDnsblAllowlisted: return "allowlisted";
        case ScreenEvent::kPregreet: return "pregreet";
        case ScreenEvent::kPregreetIgnored: return "pregreet_ignored";
        case ScreenEvent::kHangup: return "hangup";
        case ScreenEvent::kConnectionRate: return "connection_rate";
        case ScreenEvent::kMessageRate: return "message_rate";
        case ScreenEvent::kShutdown: return "shutdown";
        case ScreenEvent::kCached: return "cached";
    }
    return "?";
}

const char* dnsbl_result_name(DnsblResult r) {
    switch (r) {
        case DnsblResult::kListed: return "listed";
        case DnsblResult::kNotListed: return "not_listed";
        case DnsblResult::kTimeout: return "timeout";
        case DnsblResult::kError: return "error";
    }
    return "?";
}

const ScreenMetrics& screen_metrics() {
    static const ScreenMetrics m = make_screen_metrics();
    return m;
}

}  // namespace ringpost::server
