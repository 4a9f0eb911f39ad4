// Target address parsing and the loopback-only rule (see target.hpp).
#include "load/target.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace ringpost::load {

bool is_loopback(const io::SocketAddress& a) {
    if (a.storage.ss_family == AF_INET) {
        const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a.storage);
        return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    }
    if (a.storage.ss_family == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a.storage);
        if (IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr)) return true;
        return IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr) && v6->sin6_addr.s6_addr[12] == 127;
    }
    return false;
}

Result<io::SocketAddress> parse_loopback_target(const std::string& spec) {
    std::string host, port;
    if (!spec.empty() && spec.front() == '[') {
        auto close = spec.find(']');
        if (close == std::string::npos || close + 1 >= spec.size() || spec[close + 1] != ':')
            return make_error("bad --server \"" + spec + "\": expected [IPV6]:PORT", EINVAL);
        host = spec.substr(1, close - 1);
        port = spec.substr(close + 2);
    } else {
        auto colon = spec.rfind(':');
        if (colon == std::string::npos || spec.find(':') != colon)
            return make_error("bad --server \"" + spec + "\": expected IP:PORT or [IPV6]:PORT", EINVAL);
        host = spec.substr(0, colon);
        port = spec.substr(colon + 1);
    }
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
        return make_error("bad port in --server \"" + spec + "\"", EINVAL);
    auto addr = io::make_address(host, static_cast<uint16_t>(value));
    if (!addr) return make_error("bad --server \"" + spec + "\": " + addr.error().message + " (no DNS names)", EINVAL);
    if (!is_loopback(*addr))
        return make_error("refusing non-loopback target " + host +
                              ": ringpost-load only connects to 127.0.0.0/8 or ::1",
                          EPERM);
    return addr;
}

}  // namespace ringpost::load
