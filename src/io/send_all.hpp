// Writing a whole reply buffer to a socket: the protocol drivers (SMTP,
// POP3, IMAP) all flush their output this way.
#pragma once

#include <string>

#include "io/ops.hpp"
#include "io/task.hpp"

namespace ringpost::io {

// Writes all of `out` (each send bounded by `timeout`), then clears it;
// false if the peer is gone or stopped reading (out is cleared too).
Task<bool> send_all(int fd, std::string& out, Duration timeout);

}  // namespace ringpost::io
