#include "server/client_address.hpp"

#include <netinet/in.h>

#include <cstring>

#include "proto/proxy_reader.hpp"
#include "server/server_metrics.hpp"
#include "util/log.hpp"

namespace ringpost::server {
namespace {

void refuse_proxy(const std::string& peer, Protocol protocol, const char* reason) {
    log::warn("proxy_error", {{"client", peer}, {"proto", protocol_name(protocol)}, {"reason", reason}});
    connection_metrics().refused_proxy[static_cast<size_t>(protocol)].inc();
}

// A proxy that closes before its header (a plain TCP health check:
// connect, close) or a header cut by shutdown is no error; anything else is.
void header_failed(const std::string& peer, Protocol protocol, const proto::ProxyRead& read) {
    using Status = proto::ProxyRead::Status;
    if (read.status == Status::kShutdown) return;
    if (read.status == Status::kEof) {
        log::event(log::Level::kDebug, "proxy_closed", {{"client", peer}, {"proto", protocol_name(protocol)}});
        return;
    }
    refuse_proxy(peer, protocol, read.reason);
}

io::SocketAddress from_header(const sockaddr_storage& storage) {
    io::SocketAddress a;
    a.storage = storage;
    a.length = storage.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    return a;
}

}  // namespace

io::Task<std::optional<io::SocketAddress>> client_address(int fd, Protocol protocol, const ProxyGate* gate) {
    auto peer = io::peer_address(fd);
    if (!peer) co_return std::nullopt;
    if (gate == nullptr) co_return *peer;
    const std::string peer_ip = io::address_ip(peer->storage);
    uint8_t ip16[16];
    io::address_bytes(peer->storage, ip16);
    if (!config::networks_contain(*gate->networks, ip16)) {
        refuse_proxy(peer_ip, protocol, "not_in_proxy_networks");
        co_return std::nullopt;
    }
    io::LiveEntry entry;
    gate->live->add(entry);
    auto reading = proto::read_proxy_header(fd, kProxyHeaderTimeout, &entry.slot);
    const proto::ProxyRead read = co_await std::move(reading);
    gate->live->remove(entry);
    if (read.status != proto::ProxyRead::Status::kOk) {
        header_failed(peer_ip, protocol, read);
        co_return std::nullopt;
    }
    // LOCAL / UNKNOWN (the proxy's own health check): the proxy is the client.
    if (!read.header.has_addresses) co_return *peer;
    io::SocketAddress client = from_header(read.header.source);
    log::event(log::Level::kDebug, "proxied", {{"client", io::address_ip(client.storage)},
                           {"proxy", peer_ip},
                           {"proto", protocol_name(protocol)},
                           {"version", read.header.version}});
    co_return client;
}

}  // namespace ringpost::server
