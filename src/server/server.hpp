// `ringpost serve`: opens the store, starts the workers (one ring each), the
// admin socket and the signal handling, and runs until SIGTERM/SIGINT.
#pragma once

#include "config/config.hpp"

namespace ringpost::server {

// Returns the process exit code (0 after a clean shutdown).
int run_server(const config::Config& config);

}  // namespace ringpost::server
