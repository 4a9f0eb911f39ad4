// count_handshake() (tls_metrics.hpp).
#include "tls/tls_metrics.hpp"

#include <string>
#include <vector>

#include "metrics/registry.hpp"

namespace ringpost::tls {
namespace {

metrics::CounterFamily& handshakes() {
    static metrics::CounterFamily& family = metrics::global().counter(
        "ringpost_tls_handshakes_total",
        "TLS handshakes, by direction (inbound: STARTTLS and implicit TLS; outbound: delivery), protocol and result",
        {"direction", "protocol", "result"});
    return family;
}

}  // namespace

void register_tls_metrics() { handshakes(); }

void count_handshake(Direction direction, std::string_view protocol, bool ok) {
    struct Child {
        Direction direction;
        std::string protocol;
        bool ok;
        metrics::Counter counter;
    };
    // A handful of entries (listener protocols x 2 x 2): a scan is enough.
    thread_local std::vector<Child> cache;
    for (const Child& c : cache)
        if (c.direction == direction && c.ok == ok && c.protocol == protocol) return c.counter.inc();
    const std::string_view dir = direction == Direction::kInbound ? "inbound" : "outbound";
    cache.push_back(Child{direction, std::string(protocol), ok, handshakes().with({dir, protocol, ok ? "ok" : "failed"})});
    cache.back().counter.inc();
}

}  // namespace ringpost::tls
