// The listening sockets of `ringpost serve`: every configured address bound
// once per worker with SO_REUSEPORT, so that the kernel spreads new
// connections over the rings. Bound before anything else starts, so that a
// port in use ends the start-up at once with its address in the log.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"
#include "server/worker.hpp"
#include "util/result.hpp"

namespace ringpost::server {

// One WorkerListeners per worker; an error names the address that failed.
Result<std::vector<WorkerListeners>> bind_listeners(const config::Config& config, unsigned workers);

// How many addresses the configuration listens on, over all services.
unsigned listen_address_count(const config::Config& config);

// "127.0.0.1:2525,[::1]:2525", for the start-up log line.
std::string join_addresses(const std::vector<config::ListenAddress>& addresses);

}  // namespace ringpost::server
