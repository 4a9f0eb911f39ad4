// register_live_gauges() (live_gauges.hpp).
#include "server/live_gauges.hpp"

#include <ctime>
#include <memory>
#include <mutex>

namespace ringpost::server {
namespace {

double age(int64_t received_at, int64_t now) { return received_at == 0 ? 0 : static_cast<double>(now - received_at); }

// One scrape asks the engine once for the five queue families: the first
// collector to run takes a fresh snapshot, the others reuse it while it is
// under a second old (scrapes are seconds apart).
class QueueReader {
public:
    QueueReader(const delivery::DeliveryEngine& engine, size_t top_n) : engine_(engine), top_n_(top_n) {}
    delivery::QueueSnapshot read() {
        std::lock_guard lock(mu_);
        const auto now = std::chrono::steady_clock::now();
        if (now - taken_ > std::chrono::seconds(1)) {
            snapshot_ = engine_.queue_snapshot(top_n_);
            taken_ = now;
        }
        return snapshot_;
    }

private:
    const delivery::DeliveryEngine& engine_;
    const size_t top_n_;
    std::mutex mu_;
    delivery::QueueSnapshot snapshot_;
    std::chrono::steady_clock::time_point taken_{};
};

void queue_gauges(metrics::Registry& r, std::shared_ptr<QueueReader> q, std::vector<metrics::Collector>& out) {
    using Entries = std::vector<delivery::QueueSnapshot::Entry> delivery::QueueSnapshot::*;
    out.push_back(r.gauge("ringpost_queue_messages",
                          "messages the delivery engine holds in memory (due: waiting or being delivered); "
                          "deferred mail waiting for its retry is in the spool only",
                          {}, [q](metrics::GaugeWriter& w) { w.set({}, static_cast<double>(q->read().in_memory)); }));
    out.push_back(r.gauge("ringpost_queue_waiting_messages",
                          "messages queued for a delivery transaction, over all destinations", {},
                          [q](metrics::GaugeWriter& w) { w.set({}, static_cast<double>(q->read().waiting)); }));
    out.push_back(r.gauge("ringpost_queue_oldest_age_seconds", "age of the oldest message queued for a transaction",
                          {}, [q](metrics::GaugeWriter& w) {
                              w.set({}, age(q->read().oldest, static_cast<int64_t>(std::time(nullptr))));
                          }));
    const std::pair<const char*, Entries> per[] = {{"site", &delivery::QueueSnapshot::sites},
                                                   {"domain", &delivery::QueueSnapshot::domains}};
    for (const auto& [label, member] : per) {
        const std::string name = label;
        out.push_back(r.gauge("ringpost_queue_" + name + "_messages",
                              "messages queued per " + name + " (the [metrics] top_sites with the most)", {name},
                              [q, member](metrics::GaugeWriter& w) {
                                  const delivery::QueueSnapshot snapshot = q->read();
                                  for (const auto& e : snapshot.*member) w.set({e.name}, static_cast<double>(e.waiting));
                              }));
        out.push_back(r.gauge("ringpost_queue_" + name + "_oldest_age_seconds",
                              "age of the oldest message queued per " + name + " (the same " + name + "s)", {name},
                              [q, member](metrics::GaugeWriter& w) {
                                  const auto now = static_cast<int64_t>(std::time(nullptr));
                                  const delivery::QueueSnapshot snapshot = q->read();
                                  for (const auto& e : snapshot.*member) w.set({e.name}, age(e.oldest, now));
                              }));
    }
}

}  // namespace

std::vector<metrics::Collector> register_live_gauges(LiveSources s) {
    metrics::Registry& r = metrics::global();
    std::vector<metrics::Collector> out;
    if (s.engine) queue_gauges(r, std::make_shared<QueueReader>(*s.engine, s.top_sites), out);
    out.push_back(r.gauge("ringpost_pool_queued", "calls waiting for a thread of a blocking pool", {"pool"},
                          [pools = s.pools](metrics::GaugeWriter& w) {
                              for (const auto& p : pools)
                                  if (p.pool) w.set({p.name}, static_cast<double>(p.pool->queued()));
                          }));
    const std::pair<const char*, const ConnectionLimiter*> services[] = {
        {"smtp", s.limiters.smtp}, {"submission", s.limiters.submission},
        {"pop3", s.limiters.pop3}, {"imap", s.limiters.imap}};
    std::vector<std::pair<const char*, const ConnectionLimiter*>> list(std::begin(services), std::end(services));
    out.push_back(r.gauge("ringpost_connections_open", "client connections open now, by service", {"service"},
                          [list](metrics::GaugeWriter& w) {
                              for (const auto& [name, limiter] : list)
                                  if (limiter) w.set({name}, static_cast<double>(limiter->total()));
                          }));
    return out;
}

}  // namespace ringpost::server
