// What defines the path of an outbound connection, and so which mail an
// open connection may carry (connection sharing, issue 10): the server's
// address and port, the TLS policy it was opened under (with the name a
// "verify" certificate was checked against), and the local source address.
// Postfix keys its connection cache the same way (address, port, TLS level
// and its properties). Two destinations share connections only when their
// paths are equal: a route to 127.0.0.1:2526 never gets a connection to
// 127.0.0.1:2525, and a domain under "none" never one opened under "may".
#pragma once

#include <cstdint>
#include <string>

#include "delivery/targets.hpp"
#include "delivery/tls_policy.hpp"

namespace ringpost::delivery {

struct ConnectionPath {
    std::string ip;
    uint16_t port = 0;
    TlsPolicy tls = TlsPolicy::kMay;
    std::string tls_name;   // "verify" only: the name the certificate must match; else empty
    std::string source;     // the egress source's name (its address and EHLO); empty: none

    // One string that differs whenever a field does: the engine's index key.
    std::string key() const;
    friend bool operator==(const ConnectionPath&, const ConnectionPath&) = default;
};

// The path a destination with `policy` takes to `target` from the egress
// source called `source` ("" = none).
ConnectionPath path_to(const Target& target, TlsPolicy policy, const std::string& source = {});

}  // namespace ringpost::delivery
