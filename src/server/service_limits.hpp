// The connection limits of the five services (SMTP, submission, POP3, IMAP, HTTP):
// each service's max_connections, shared so that together they stay below
// the descriptor limit less a reserve (fd_budget.hpp), and its per-IP limit.
// Decided once at start and logged (`fd_limit`); the limiters are shared by
// every worker.
#pragma once

#include <vector>

#include "config/config.hpp"
#include "server/connection_limiter.hpp"
#include "server/fd_budget.hpp"

namespace ringpost::server {

class ServiceLimits {
public:
    ServiceLimits(const config::Config& config, const NofileLimit& nofile, unsigned workers);
    ServiceLimits(const ServiceLimits&) = delete;
    ServiceLimits& operator=(const ServiceLimits&) = delete;

    ServiceLimiters limiters() { return {&smtp_, &submission_, &pop3_, &imap_, &http_}; }

private:
    ServiceLimits(const config::Config& config, const std::vector<ServiceShare>& shares);

    ConnectionLimiter smtp_;
    ConnectionLimiter submission_;
    ConnectionLimiter pop3_;
    ConnectionLimiter imap_;
    ConnectionLimiter http_;
};

}  // namespace ringpost::server
