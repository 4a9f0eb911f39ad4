#include "io/socket.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

namespace ringpost::io {

Fd& Fd::operator=(Fd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
}

Fd::~Fd() { reset(); }

void Fd::reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

Result<SocketAddress> make_address(const std::string& host, uint16_t port) {
    SocketAddress a;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        a.length = sizeof(sockaddr_in);
        return a;
    }
    if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        a.length = sizeof(sockaddr_in6);
        return a;
    }
    return make_error("not an IP address: " + host, EINVAL);
}

Result<Fd> listen_tcp(const std::string& host, uint16_t port, bool reuse_port, int backlog) {
    auto addr = make_address(host, port);
    if (!addr) return addr.error();
    const std::string where = (addr->storage.ss_family == AF_INET6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
    Fd fd(::socket(addr->storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return make_error("socket for " + where + ": " + strerror(errno), errno);
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuse_port && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
        return make_error("SO_REUSEPORT on " + where + ": " + strerror(errno), errno);
    if (addr->storage.ss_family == AF_INET6) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (::bind(fd.get(), addr->get(), addr->length) != 0)
        return make_error("cannot listen on " + where + ": " + strerror(errno), errno);
    if (::listen(fd.get(), backlog) != 0) return make_error("listen on " + where + ": " + strerror(errno), errno);
    return fd;
}

Result<std::vector<Fd>> listen_tcp_group(const std::string& host, uint16_t port, unsigned count,
                                         std::chrono::milliseconds release_wait, int backlog) {
    auto addr = make_address(host, port);
    if (!addr) return addr.error();
    const std::string where = (addr->storage.ss_family == AF_INET6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
    if (port == 0) return make_error("cannot listen on " + where + ": a listener group needs a fixed port", EINVAL);
    {
        // A bind without SO_REUSEPORT fails while anyone listens on the
        // port, including another process's SO_REUSEPORT group. Closed at
        // once: the group below binds right after (SO_REUSEADDR keeps
        // TIME_WAIT from the probe out of the way).
        const auto give_up = std::chrono::steady_clock::now() + release_wait;
        auto probe = listen_tcp(host, port, false, 1);
        while (!probe && probe.error().code == std::errc::address_in_use &&
               std::chrono::steady_clock::now() < give_up) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));   // startup only, no ring yet
            probe = listen_tcp(host, port, false, 1);
        }
        if (!probe) {
            if (probe.error().code == std::errc::address_in_use)
                return make_error("cannot listen on " + where + ": address in use (by another process)", EADDRINUSE);
            return probe.error();
        }
    }
    std::vector<Fd> group;
    group.reserve(count);
    for (unsigned i = 0; i < count; ++i) {
        auto fd = listen_tcp(host, port, true, backlog);
        if (!fd) return fd.error();
        group.push_back(std::move(fd).value());
    }
    return group;
}

std::string address_ip(const sockaddr_storage& addr) {
    char buf[INET6_ADDRSTRLEN] = "";
    if (addr.ss_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&addr)->sin_addr, buf, sizeof buf);
    } else if (addr.ss_family == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&addr);
        if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr))
            inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], buf, sizeof buf);
        else
            inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof buf);
    }
    return buf;
}

uint16_t address_port(const sockaddr_storage& addr) {
    if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
    if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
    return 0;
}

void address_bytes(const sockaddr_storage& addr, uint8_t out[16]) {
    std::memset(out, 0, 16);
    if (addr.ss_family == AF_INET) {
        out[10] = out[11] = 0xff;
        std::memcpy(out + 12, &reinterpret_cast<const sockaddr_in*>(&addr)->sin_addr, 4);
    } else if (addr.ss_family == AF_INET6) {
        std::memcpy(out, &reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_addr, 16);
    }
}

Result<SocketAddress> peer_address(int fd) {
    SocketAddress a;
    a.length = sizeof a.storage;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&a.storage), &a.length) != 0)
        return make_error(std::string("getpeername: ") + strerror(errno), errno);
    return a;
}

void set_nodelay(int fd) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

bool is_loopback_ip(std::string_view ip) {
    return ip == "::1" || ip.substr(0, 4) == "127." || ip.substr(0, 11) == "::ffff:127.";
}

void drop_unread_input(int fd, size_t limit) {
    char scratch[4096];
    size_t taken = 0;
    while (taken < limit) {
        const ssize_t n = ::recv(fd, scratch, std::min(sizeof scratch, limit - taken), MSG_DONTWAIT);
        if (n <= 0) break;
        taken += static_cast<size_t>(n);
    }
}

}  // namespace ringpost::io
