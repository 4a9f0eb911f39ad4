// The HTTP/1.1 connection driver: requests parsed by RequestParser out of a
// proto::Connection's input (plain TCP, or TLS from the start on an https
// listener), each answered by the Router in order, on the current ring.
//
//   keep-alive     HTTP/1.1 by default, HTTP/1.0 with "Connection:
//                  keep-alive"; "Connection: close" ends after the answer
//   pipelining     requests behind each other in the input are answered in
//                  order, and the answers flushed together once the input
//                  is drained (or when they pass kFlushAt bytes)
//   100-continue   answered before the body is read (RFC 9110 10.1.1)
//   idle timeout   the next request's header must come within idle of the
//                  last answer (silence, then close; a request cut short
//                  gets 408); a body in progress gets idle anew per read
//   limits         RequestParser's (414, 431, 413, 400): answered, then close
//   shutdown       an idle connection closes; a request being read or
//                  handled finishes and its answer says "Connection: close"
//
// One line per request in the log (http_request: method, path, status,
// bytes, ms, client, token name; warn for 5xx), http_refused (warn) for a
// request that could not be framed or timed out.
#pragma once

#include <chrono>

#include "http/parser.hpp"
#include "http/router.hpp"
#include "io/live_set.hpp"
#include "io/task.hpp"
#include "tls/context_holder.hpp"

namespace ringpost::http {

struct Timeouts {
    std::chrono::milliseconds idle{60000};
    std::chrono::milliseconds send{60000};            // a client that stops reading
    std::chrono::milliseconds tls_handshake{30000};
};

struct ConnectionContext {
    const ParserLimits& limits;
    const Router& router;
    Timeouts timeouts;
    io::LiveSet& live;             // graceful shutdown
    tls::ContextHolder* tls = nullptr;   // https: the listeners' certificate
    bool implicit_tls = false;
};

// Serves until the client or a limit ends the connection; closes `fd`.
// Create the task as a named local before awaiting it.
io::Task<void> serve_connection(int fd, Caller client, ConnectionContext ctx);

}  // namespace ringpost::http
