// The store's histograms (metrics/registry.hpp): how many requests each
// group commit carries, and how long each synced (fsync'd) write takes;
// and the hold counters. README "Metrics" lists them.
#pragma once

#include "metrics/registry.hpp"

namespace ringpost::store {

struct StoreMetrics {
    metrics::Histogram batch_size;      // requests per group commit
    metrics::Histogram sync_write_us;   // one synced RocksDB write (WAL fsync), microseconds
};

const StoreMetrics& store_metrics();

// Messages put on hold, by who did it (ringpost_messages_held_total
// {source}: a milter's quarantine, or an operator's `queue hold`), and
// released (ringpost_messages_released_total).
struct HoldMetrics {
    metrics::Counter held_by_milter;
    metrics::Counter held_by_operator;
    metrics::Counter released;
};

const HoldMetrics& hold_metrics();

}  // namespace ringpost::store
