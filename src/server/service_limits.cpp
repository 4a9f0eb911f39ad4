#include "server/service_limits.hpp"

#include <vector>

#include "server/listeners.hpp"
#include "util/log.hpp"

namespace ringpost::server {
namespace {

enum Service { kSmtp, kSubmission, kPop3, kImap, kHttp };

// A service without listeners takes no share.
uint32_t wanted(uint32_t max, bool listens) { return listens ? max : 0u; }

std::vector<ServiceShare> granted_shares(const config::Config& c, const NofileLimit& nofile, unsigned workers) {
    const uint64_t reserve = fd_reserve(nofile.soft, workers, listen_address_count(c));
    const uint64_t connections = nofile.soft - reserve;
    std::vector<ServiceShare> shares = {
        {"smtp", wanted(c.smtp.max_connections, !c.smtp.listen.empty()), 0},
        {"submission", wanted(c.submission.max_connections, !c.submission.listen.empty() || !c.smtps.listen.empty()), 0},
        {"pop3", wanted(c.pop3.max_connections, !c.pop3.listen.empty() || !c.pop3s.listen.empty()), 0},
        {"imap", wanted(c.imap.max_connections, !c.imap.listen.empty() || !c.imaps.listen.empty()), 0},
        {"http", wanted(c.http.max_connections, !c.http.listen.empty()), 0},
    };
    const bool clamped = share_connections(connections, shares);
    log::event(clamped ? log::Level::kWarn : log::Level::kInfo, "fd_limit",
               {{"nofile", nofile.soft}, {"was", nofile.soft_before}, {"hard", nofile.hard}, {"reserve", reserve},
                {"connections", connections}, {"clamped", clamped ? "yes" : "no"},
                {"smtp", shares[kSmtp].granted}, {"submission", shares[kSubmission].granted},
                {"pop3", shares[kPop3].granted}, {"imap", shares[kImap].granted}, {"http", shares[kHttp].granted}});
    return shares;
}

}  // namespace

// Delegating: the shares are computed (and logged) once, then each limiter
// is built from its service's share.
ServiceLimits::ServiceLimits(const config::Config& c, const NofileLimit& nofile, unsigned workers)
    : ServiceLimits(c, granted_shares(c, nofile, workers)) {}

ServiceLimits::ServiceLimits(const config::Config& c, const std::vector<ServiceShare>& s)
    : smtp_(s[kSmtp].granted, c.smtp.max_connections_per_ip),
      submission_(s[kSubmission].granted, c.submission.max_connections_per_ip),
      pop3_(s[kPop3].granted, c.pop3.max_connections_per_ip),
      imap_(s[kImap].granted, c.imap.max_connections_per_ip),
      http_(s[kHttp].granted, c.http.max_connections_per_ip) {}

}  // namespace ringpost::server
