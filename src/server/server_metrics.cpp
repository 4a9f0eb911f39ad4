// connection_metrics(): ringpost_connections_total, resolved once.
#include "server/server_metrics.hpp"

#include "auth/mail_login.hpp"
#include "dns/dns_metrics.hpp"
#include "imap/imap_metrics.hpp"
#include "pop3/pop3_metrics.hpp"
#include "server/greylist_metrics.hpp"
#include "server/milter_metrics.hpp"
#include "server/screen_metrics.hpp"
#include "smtp/smtp_metrics.hpp"
#include "store/store_metrics.hpp"
#include "tls/tls_metrics.hpp"

namespace ringpost::server {
namespace {

ConnectionMetrics make_connection_metrics() {
    auto& family = metrics::global().counter(
        "ringpost_connections_total",
        "connections accepted by a listener, by protocol and result (accepted, refused_limit, refused_ip_limit, "
        "refused_proxy)",
        {"protocol", "result"});
    ConnectionMetrics m;
    for (size_t i = 0; i < kProtocolCount; ++i) {
        const char* p = protocol_name(static_cast<Protocol>(i));
        m.accepted[i] = family.with({p, "accepted"});
        m.refused_total[i] = family.with({p, "refused_limit"});
        m.refused_per_ip[i] = family.with({p, "refused_ip_limit"});
        m.refused_proxy[i] = family.with({p, "refused_proxy"});
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
    static const ConnectionMetrics m = make_connection_metrics();
    return m;
}

void register_all_families() {
    connection_metrics();
    screen_metrics();
    greylist_metrics();
    smtp::smtp_metrics();
    pop3::pop3_metrics();
    imap::imap_metrics();
    auth::register_login_metrics();
    tls::register_tls_metrics();
    dns::dns_metrics();
    store::store_metrics();
    store::hold_metrics();
    register_milter_families();
    // The delivery engine's families: registered when it is made.
}

}  // namespace ringpost::server
