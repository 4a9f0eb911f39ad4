// The store's histograms (metrics/registry.hpp): how many requests each
// group commit carries, and how long each synced (fsync'd) write takes.
#pragma once

#include "metrics/registry.hpp"

namespace ringpost::store {

struct StoreMetrics {
    metrics::Histogram batch_size;      // requests per group commit
    metrics::Histogram sync_write_us;   // one synced RocksDB write (WAL fsync), microseconds
};

const StoreMetrics& store_metrics();

}  // namespace ringpost::store
