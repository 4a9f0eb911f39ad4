// The server layer's counters (metrics/registry.hpp): connections by
// listener protocol and what became of them, resolved once at first use.
#pragma once

#include <array>

#include "metrics/registry.hpp"
#include "server/listener_protocol.hpp"

namespace ringpost::server {

inline constexpr size_t kProtocolCount = static_cast<size_t>(Protocol::kHttps) + 1;   // every Protocol

struct ConnectionMetrics {
    // By Protocol: served, refused over max_connections, refused over
    // max_connections_per_ip, closed for a PROXY protocol header that was
    // missing, damaged or from outside proxy_networks.
    std::array<metrics::Counter, kProtocolCount> accepted, refused_total, refused_per_ip, refused_proxy;

    void count(Protocol p, ConnectionLimiter::Verdict v) const;
};

const ConnectionMetrics& connection_metrics();

// Resolves every layer's counters now, at start: each family is in the
// exposition (at 0) from the first scrape, not only after its first count.
void register_all_families();

}  // namespace ringpost::server
