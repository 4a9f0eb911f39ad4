// Who the client of an accepted socket is: the socket's peer, or, on a
// listener with proxy_protocol, the client its PROXY protocol header names
// (proto/proxy_reader.hpp). Everything after (the connection limits, the
// relay policy, ClientInfo, Received: lines, logs) works with this address
// only, so a connection through a load balancer is judged as its client.
//
// A PROXY header is believed only from proxy_networks: a connection from
// anywhere else, a damaged header, or none within kProxyHeaderTimeout, and
// the socket is closed without a word (any reply would be in a protocol
// the peer may not be speaking yet), logged as proxy_error with a reason.
#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "config/config.hpp"
#include "io/live_set.hpp"
#include "io/socket.hpp"
#include "io/task.hpp"
#include "server/listener_protocol.hpp"

namespace ringpost::server {

// The load balancer sends its header at once, before the client's first
// byte: a peer still silent after this long is not one.
inline constexpr std::chrono::seconds kProxyHeaderTimeout{10};

// What a proxy_protocol listener checks; null for the others.
struct ProxyGate {
    const std::vector<config::Network>* networks = nullptr;   // proxy_networks
    io::LiveSet* live = nullptr;   // graceful shutdown cancels the wait for the header
};

// The client's address; nullopt when the socket must be closed (the
// caller closes it; the reason is logged here).
io::Task<std::optional<io::SocketAddress>> client_address(int fd, Protocol protocol, const ProxyGate* gate);

}  // namespace ringpost::server
