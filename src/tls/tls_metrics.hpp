// TLS handshakes for the metrics (metrics/registry.hpp):
// ringpost_tls_handshakes_total{direction, protocol, result}.
#pragma once

#include <string_view>

namespace ringpost::tls {

enum class Direction { kInbound, kOutbound };

// `protocol`: the listener's ("smtp", "imaps", ...) or "smtp" outbound.
// Each (direction, protocol, result) is resolved once per thread; after
// that a count takes no lock.
void count_handshake(Direction direction, std::string_view protocol, bool ok);
// Registers the family now, so that a scrape shows it before the first handshake.
void register_tls_metrics();

}  // namespace ringpost::tls
