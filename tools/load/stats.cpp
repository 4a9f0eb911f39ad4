// Stats merging and failure names (see stats.hpp).
#include "load/stats.hpp"

namespace ringpost::load {

const char* failure_name(Failure f) {
    switch (f) {
        case Failure::reply_code: return "reply_code";
        case Failure::closed: return "closed";
        case Failure::io_error: return "io_error";
        case Failure::malformed: return "malformed";
        case Failure::timeout: return "timeout";
        case Failure::aborted: return "aborted";
        case Failure::tls: return "tls";
        case Failure::count: break;
    }
    return "?";
}

void Stats::merge(const Stats& o) {
    ok += o.ok;
    failed += o.failed;
    connections += o.connections;
    connect_errors += o.connect_errors;
    handshake_errors += o.handshake_errors;
    no_pipelining += o.no_pipelining;
    gave_up += o.gave_up;
    tls_handshakes += o.tls_handshakes;
    tls_handshake_errors += o.tls_handshake_errors;
    if (tls_error.empty()) tls_error = o.tls_error;
    for (size_t i = 0; i < failures.size(); ++i) failures[i] += o.failures[i];
    for (size_t i = 0; i < by_code.size(); ++i) by_code[i] += o.by_code[i];
    latency.merge(o.latency);
    idle_established += o.idle_established;
    idle_dropped += o.idle_dropped;
}

}  // namespace ringpost::load
