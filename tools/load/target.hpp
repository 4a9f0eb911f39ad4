// Target address parsing ("127.0.0.1:2525", "[::1]:2525") and the rule that
// this tool only ever talks to loopback (127.0.0.0/8 or ::1).
#pragma once

#include <string>

#include "io/socket.hpp"
#include "util/result.hpp"

namespace ringpost::load {

// Parses HOST:PORT (IPv6 in brackets) and refuses anything but loopback.
Result<io::SocketAddress> parse_loopback_target(const std::string& spec);

bool is_loopback(const io::SocketAddress& address);

}  // namespace ringpost::load
