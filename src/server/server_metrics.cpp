// connection_metrics(): ringpost_connections_total, resolved once.
#include "server/server_metrics.hpp"

namespace ringpost::server {
namespace {

ConnectionMetrics make() {
    auto& family = metrics::global().counter(
        "ringpost_connections_total",
        "connections accepted by a listener, by protocol and result (accepted, refused_limit, refused_ip_limit)",
        {"protocol", "result"});
    ConnectionMetrics m;
    for (size_t i = 0; i < kProtocolCount; ++i) {
        const char* p = protocol_name(static_cast<Protocol>(i));
        m.accepted[i] = family.with({p, "accepted"});
        m.refused_total[i] = family.with({p, "refused_limit"});
        m.refused_per_ip[i] = family.with({p, "refused_ip_limit"});
    }
    return m;
}

}  // namespace

void ConnectionMetrics::count(Protocol p, ConnectionLimiter::Verdict v) const {
    const size_t i = static_cast<size_t>(p);
    switch (v) {
        case ConnectionLimiter::Verdict::kOk: accepted[i].inc(); break;
        case ConnectionLimiter::Verdict::kTooManyTotal: refused_total[i].inc(); break;
        case ConnectionLimiter::Verdict::kTooManyFromIp: refused_per_ip[i].inc(); break;
    }
}

const ConnectionMetrics& connection_metrics() {
    static const ConnectionMetrics m = make();
    return m;
}

}  // namespace ringpost::server
