// store_metrics(): the group-commit histograms, resolved once.
#include "store/store_metrics.hpp"

namespace ringpost::store {
namespace {

StoreMetrics make() {
    metrics::Registry& r = metrics::global();
    StoreMetrics m;
    m.batch_size = r.histogram("ringpost_store_commit_batch_size",
                               "requests (accepted messages, delivery outcomes, ...) per group commit", {},
                               {1, 2, 4, 8, 16, 32, 64, 128, 256, 512})
                       .with({});
    // 50 us (a write-back cache) .. 1 s (a disk in trouble).
    m.sync_write_us = r.histogram("ringpost_store_sync_write_seconds",
                                  "duration of one synced store write (RocksDB write with the WAL fsync'd)", {},
                                  {50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
                                   500000, 1000000},
                                  1e6)
                          .with({});
    return m;
}

}  // namespace

const HoldMetrics& hold_metrics() {
    static const HoldMetrics m = [] {
        metrics::Registry& r = metrics::global();
        auto& held = r.counter("ringpost_messages_held_total",
                               "messages put on hold, by source (milter: a milter's quarantine at acceptance; "
                               "operator: queue hold)",
                               {"source"});
        return HoldMetrics{held.with({"milter"}), held.with({"operator"}),
                           r.counter("ringpost_messages_released_total", "held messages released (queue release)")
                               .with({})};
    }();
    return m;
}

const StoreMetrics& store_metrics() {
    static const StoreMetrics m = make();
    return m;
}

}  // namespace ringpost::store
