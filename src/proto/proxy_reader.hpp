// Reads a PROXY protocol header (proxy_header.hpp) off an accepted socket,
// and not one byte more: what follows belongs to the protocol behind it
// (an implicit-TLS listener's ClientHello may come in the same segment).
// It peeks at what has arrived, parses it, and takes from the socket only
// the bytes the parser says are header; while the header is incomplete,
// everything peeked is header and is taken, so the next peek waits for
// new bytes instead of seeing the same ones again.
#pragma once

#include "io/ops.hpp"
#include "io/task.hpp"
#include "proto/proxy_header.hpp"

namespace ringpost::proto {

struct ProxyRead {
    enum class Status { kOk, kInvalid, kTimeout, kEof, kLost, kShutdown };
    Status status = Status::kLost;
    ProxyHeader header;         // kOk
    const char* reason = "";    // a log word: the parser's reason, or "timeout", "eof", "lost", "shutdown"
};

// The whole header within `timeout`; `slot` lets graceful shutdown cancel the wait.
io::Task<ProxyRead> read_proxy_header(int fd, io::Duration timeout, io::CancelSlot* slot);

}  // namespace ringpost::proto
