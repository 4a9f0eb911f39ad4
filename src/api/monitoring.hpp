// The read-only monitoring routes (access kMonitoring, docs/HTTP.md):
//
//   GET /metrics         the Prometheus text format (metrics::render_text())
//   GET /                the status page (data/status.html, built in)
//   GET /api/v1/status   what the page draws, as JSON
//
// Both the scrape and the status are gathered on a blocking pool: the
// scrape's live gauges ask the delivery engine's ring and wait for it, and
// the status reads the spool as the admin commands `queue summary` and
// `queue list` do (admin::queue_status_json: the same numbers the CLI
// shows, from one spool scan for both, at most once per
// kStatusCacheSeconds whatever the number of viewers).
// StatusHistory samples the accepted/delivered/deferred/failed counters
// every 10 s on a thread of its own, for the page's charts.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "admin/admin.hpp"
#include "http/message.hpp"
#include "http/router.hpp"
#include "io/blocking_pool.hpp"
#include "io/task.hpp"

namespace ringpost::store {
class Store;
}

namespace ringpost::api {

// Per-interval counts of the last `keep` intervals, oldest first.
struct RateSeries {
    uint32_t interval_s = 10;
    std::deque<uint64_t> accepted, delivered, deferred, failed;
};

// The counters' totals at one moment (from metrics::global()).
struct CounterTotals {
    uint64_t accepted = 0, delivered = 0, deferred = 0, failed = 0;
};
CounterTotals read_counter_totals();

class StatusHistory {
public:
    StatusHistory(std::chrono::seconds interval, size_t keep);
    ~StatusHistory();   // stops the thread
    void start();
    void stop();
    // Adds the difference between `now` and the previous totals (pure
    // bookkeeping; the thread calls it with read_counter_totals()).
    void add_sample(const CounterTotals& now);
    RateSeries series() const;

private:
    void run();

    std::chrono::seconds interval_;
    size_t keep_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    bool have_previous_ = false;
    CounterTotals previous_;
    RateSeries series_;
    std::thread thread_;
};

class MonitoringApi {
public:
    static constexpr int kStatusCacheSeconds = 2;

    MonitoringApi(store::Store& store, admin::AdminExtras extras, io::BlockingPool& pool, StatusHistory& history,
                  std::string hostname, std::string version);

    io::Task<http::Response> metrics(const http::Request& request, const http::Caller& caller);
    io::Task<http::Response> status_page(const http::Request& request, const http::Caller& caller);
    io::Task<http::Response> status(const http::Request& request, const http::Caller& caller);

    // The status document from `queue summary` and `queue list` JSON (as
    // the admin commands write them) and the rates (pure, for the tests).
    static std::string status_json(std::string_view summary, std::string_view list, const RateSeries& rates,
                                   const std::string& hostname, const std::string& version, int64_t uptime_s,
                                   int64_t now);

private:
    std::string gather_status();   // on the pool

    store::Store& store_;
    admin::AdminExtras extras_;
    io::BlockingPool& pool_;
    StatusHistory& history_;
    std::string hostname_, version_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    std::mutex cache_mu_;
    std::string cached_;
    std::chrono::steady_clock::time_point cached_at_{};
};

}  // namespace ringpost::api
