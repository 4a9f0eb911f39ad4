// The gauges of live state (metrics/registry.hpp collectors), read when a
// scrape asks and never counted: the delivery engine's queue (total, and
// the top N sites and domains), the blocking pools' queues, the open
// connections per service. Held by the Server; destroying them
// unregisters the collectors, so declare them after what they read.
#pragma once

#include <vector>

#include "delivery/engine.hpp"
#include "io/blocking_pool.hpp"
#include "metrics/registry.hpp"
#include "server/connection_limiter.hpp"

namespace ringpost::server {

struct LiveSources {
    const delivery::DeliveryEngine* engine = nullptr;
    size_t top_sites = 20;   // [metrics] top_sites
    struct Pool {
        const char* name;
        const io::BlockingPool* pool;   // null: not configured
    };
    std::vector<Pool> pools;
    ServiceLimiters limiters;
};

// Registers the collectors in metrics::global(); they stay registered as
// long as the returned handles live.
std::vector<metrics::Collector> register_live_gauges(LiveSources sources);

}  // namespace ringpost::server
