// The milters' metrics (metrics/registry.hpp), resolved per configured
// milter when the filter is built: what each milter decided
// (ringpost_milter_results_total), how often talking to it failed and
// what on_failure made of that (ringpost_milter_failures_total), and how
// long one message's exchange took (ringpost_milter_exchange_seconds).
// README "Metrics" lists them.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "metrics/registry.hpp"

namespace ringpost::server {

enum class MilterResult : uint8_t {
    kAccept,      // accepted (its edits applied)
    kReject,      // 5xx to the client
    kTempfail,    // 4xx to the client
    kDiscard,     // 250 to the client, dropped
    kQuarantine,  // accepted and spooled on hold (queue release delivers it)
    kFailed,      // not reached, timed out or broke the protocol: on_failure decided
};
inline constexpr size_t kMilterResultCount = static_cast<size_t>(MilterResult::kFailed) + 1;

const char* milter_result_name(MilterResult r);

struct MilterMetrics {
    std::array<metrics::Counter, kMilterResultCount> results;
    metrics::Counter timeouts;    // failures that were timeouts (connect, a reply, the total)
    metrics::Counter errors;      // the other failures (refused, reset, protocol errors)
    metrics::Histogram exchange_us;

    void count(MilterResult r) const { results[static_cast<size_t>(r)].inc(); }
};

// The children of the milter `name`, whose failures `on_failure` handles
// ("accept": fail open; "tempfail", "reject": fail closed).
MilterMetrics milter_metrics(const std::string& name, const std::string& on_failure);

// The three families without children, so that a scrape shows them (HELP
// and TYPE) before any milter is configured.
void register_milter_families();

}  // namespace ringpost::server
