#include "server/milter_metrics.hpp"

namespace ringpost::server {

const char* milter_result_name(MilterResult r) {
    switch (r) {
        case MilterResult::kAccept: return "accept";
        case MilterResult::kReject: return "reject";
        case MilterResult::kTempfail: return "tempfail";
        case MilterResult::kDiscard: return "discard";
        case MilterResult::kQuarantine: return "quarantine";
        case MilterResult::kFailed: return "failed";
    }
    return "?";
}

namespace {

struct MilterFamilies {
    metrics::CounterFamily& results;
    metrics::CounterFamily& failures;
    metrics::HistogramFamily& exchange;
};

MilterFamilies milter_families() {
    metrics::Registry& r = metrics::global();
    auto& results = r.counter("ringpost_milter_results_total",
                              "messages each milter decided on, by result (accept, reject, tempfail, discard, "
                              "quarantine, failed)",
                              {"milter", "result"});
    auto& failures = r.counter("ringpost_milter_failures_total",
                               "milter exchanges that failed, by kind (timeout, error) and the on_failure action "
                               "taken (accept: fail open; tempfail, reject: fail closed)",
                               {"milter", "kind", "action"});
    // 1 ms (a local milter's quick answer) .. 60 s (rspamd's own timeout).
    auto& exchange = r.histogram("ringpost_milter_exchange_seconds",
                                 "duration of one message's exchange with a milter, connection included", {"milter"},
                                 {1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000,
                                  5000000, 10000000, 30000000, 60000000},
                                 1e6);
    return {results, failures, exchange};
}

}  // namespace

void register_milter_families() { milter_families(); }

MilterMetrics milter_metrics(const std::string& name, const std::string& on_failure) {
    auto [results, failures, exchange] = milter_families();
    MilterMetrics m;
    for (size_t i = 0; i < kMilterResultCount; ++i)
        m.results[i] = results.with({name, milter_result_name(static_cast<MilterResult>(i))});
    m.timeouts = failures.with({name, "timeout", on_failure});
    m.errors = failures.with({name, "error", on_failure});
    m.exchange_us = exchange.with({name});
    return m;
}

}  // namespace ringpost::server
