// Socket plumbing for the runtime: an owning file descriptor, listeners
// (one SO_REUSEPORT listener per worker, so the kernel spreads connections
// over the rings), and address formatting. Nothing here knows about mail.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.hpp"

namespace ringpost::io {

// Owns a file descriptor; closes it (synchronously) unless released.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    Fd& operator=(Fd&& o) noexcept;
    ~Fd();
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }
    explicit operator bool() const { return fd_ >= 0; }
    void reset(int fd = -1);

private:
    int fd_ = -1;
};

struct SocketAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// host is an IP literal ("127.0.0.1", "::1", "0.0.0.0", "::"); no DNS here.
Result<SocketAddress> make_address(const std::string& host, uint16_t port);

// socket + SO_REUSEADDR (+ SO_REUSEPORT) + bind + listen, non-blocking off
// (io_uring does not need O_NONBLOCK). Errors name the address.
Result<Fd> listen_tcp(const std::string& host, uint16_t port, bool reuse_port, int backlog = 4096);

// `count` SO_REUSEPORT listeners on one address, one per worker. The port
// must be free first: SO_REUSEPORT would otherwise let a second process of
// the same user join a group another process holds and silently take a
// share of its connections. Fails with EADDRINUSE ("... in use") then, and
// with EINVAL for port 0 (each socket would get a port of its own).
//
// A port still held when the call starts is tried again until
// `release_wait` has passed: a process killed with -9 leaves its listeners
// open until the kernel's io_uring teardown, which runs after the process
// has exited, cancels the pending accepts (a few milliseconds, longer on a
// busy machine), and a restart right after a crash must not fail on that.
Result<std::vector<Fd>> listen_tcp_group(const std::string& host, uint16_t port, unsigned count,
                                         std::chrono::milliseconds release_wait = std::chrono::seconds(5),
                                         int backlog = 4096);

// Textual IP ("192.0.2.1", "2001:db8::1"; v4-mapped v6 printed as v4) and port.
std::string address_ip(const sockaddr_storage& addr);
uint16_t address_port(const sockaddr_storage& addr);
// 16-byte form (IPv4 as v4-mapped) for CIDR matching and per-IP accounting.
void address_bytes(const sockaddr_storage& addr, uint8_t out[16]);

// The peer of a connected socket (after a multishot accept, which cannot
// return addresses).
Result<SocketAddress> peer_address(int fd);

// "127.x.x.x", "::1", "::ffff:127.x.x.x": a peer on this machine (plain-text
// passwords are allowed there without TLS).
bool is_loopback_ip(std::string_view ip);

// TCP_NODELAY: replies are written whole; Nagle would only add latency.
void set_nodelay(int fd);
// Input the peer sent that nobody will read: taken off the socket before
// it closes (up to `limit` bytes, only what has arrived: non-blocking), so
// the kernel ends the connection with a FIN behind our last words (a BYE,
// a 421, a 554) instead of a reset that can destroy them in flight.
void drop_unread_input(int fd, size_t limit);

}  // namespace ringpost::io
