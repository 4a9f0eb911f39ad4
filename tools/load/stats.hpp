// Stats: what one worker thread counted (messages, connections, failures by
// reason and by reply code, end-of-data latency). Plain counters, owned by
// one thread while it runs, merged by the main thread after join.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "load/histogram.hpp"

namespace ringpost::load {

// Why a message (or a connection handshake) failed.
enum class Failure : uint8_t {
    reply_code,   // an unexpected SMTP reply (see by_code)
    closed,       // the server closed the connection
    io_error,     // send/recv/connect error other than the above
    malformed,    // a reply that is not RFC 5321 syntax
    timeout,      // no progress for --io-timeout
    aborted,      // cut off by the end of the run (--timeout)
    tls,          // a TLS error after the handshake (record layer, alert)
    count
};
const char* failure_name(Failure f);

struct Stats {
    uint64_t ok = 0;                 // messages answered 250 after the final dot
    uint64_t failed = 0;             // messages claimed but not accepted
    uint64_t connections = 0;        // TCP connections established
    uint64_t connect_errors = 0;     // socket/connect failures
    uint64_t handshake_errors = 0;   // greeting or EHLO failed on an established connection
    uint64_t no_pipelining = 0;      // connections where PIPELINING was wanted but not offered
    uint64_t gave_up = 0;            // sessions that ended after 10 failed handshakes in a row
    std::array<uint64_t, static_cast<size_t>(Failure::count)> failures{};   // messages + handshakes
    std::array<uint64_t, 600> by_code{};   // unexpected replies by code (messages + handshakes)
    uint64_t tls_handshakes = 0;        // --starttls/--smtps: TLS handshakes completed
    uint64_t tls_handshake_errors = 0;  // TLS handshakes (or STARTTLS commands) that failed; also in handshake_errors
    std::string tls_error;              // the first TLS failure's text
    LatencyHistogram latency;        // end-of-data -> 250, microseconds

    // idle mode
    uint64_t idle_established = 0;
    uint64_t idle_dropped = 0;       // closed (or spoken to) by the server during the hold

    void note(Failure f) { ++failures[static_cast<size_t>(f)]; }
    void merge(const Stats& o);
};

}  // namespace ringpost::load
