// Address parsing for the configuration and the relay policy: IP literals,
// "host:port" listen addresses and CIDR networks. IPv4 is kept in the
// v4-mapped IPv6 form (::ffff:a.b.c.d) so that one 16-byte comparison serves
// both families, and so that a v4 client accepted on a dual-stack socket
// (which the kernel reports as v4-mapped) matches a v4 network.
#include <arpa/inet.h>

#include <cstring>
#include <string>

#include "config/config.hpp"

namespace ringpost::config {
namespace {

bool parse_v4(const std::string& text, uint8_t out16[16]) {
    in_addr a{};
    if (inet_pton(AF_INET, text.c_str(), &a) != 1) return false;
    std::memset(out16, 0, 10);
    out16[10] = 0xff;
    out16[11] = 0xff;
    std::memcpy(out16 + 12, &a, 4);
    return true;
}

bool parse_v6(const std::string& text, uint8_t out16[16]) {
    in6_addr a{};
    if (inet_pton(AF_INET6, text.c_str(), &a) != 1) return false;
    std::memcpy(out16, &a, 16);
    return true;
}

// Strict decimal: no sign, no spaces, no leading "+" (std::stoi accepts too much).
bool parse_decimal(const std::string& text, unsigned max, unsigned& out) {
    if (text.empty() || text.size() > 5) return false;
    unsigned v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > max) return false;
    out = v;
    return true;
}

}  // namespace

bool parse_ip(const std::string& text, uint8_t out16[16]) {
    return parse_v4(text, out16) || parse_v6(text, out16);
}

bool network_contains(const Network& net, const uint8_t addr16[16]) {
    unsigned full = net.prefix / 8;
    if (std::memcmp(net.addr, addr16, full) != 0) return false;
    unsigned rest = net.prefix % 8;
    if (rest == 0) return true;
    uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
    return (net.addr[full] & mask) == (addr16[full] & mask);
}

bool networks_contain(const std::vector<Network>& nets, const uint8_t addr16[16]) {
    for (const auto& net : nets)
        if (network_contains(net, addr16)) return true;
    return false;
}

ListenAddress parse_listen(const std::string& text) {
    ListenAddress out;
    out.text = text;
    std::string host, port;
    if (!text.empty() && text[0] == '[') {
        auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
            throw ConfigError("\"" + text + "\": expected \"[IPv6]:port\"");
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        uint8_t tmp[16];
        if (!parse_v6(host, tmp))
            throw ConfigError("\"" + text + "\": \"" + host + "\" is not an IPv6 address");
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string::npos)
            throw ConfigError("\"" + text + "\": expected \"IP:port\" (e.g. \"0.0.0.0:25\" or \"[::]:25\")");
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        uint8_t tmp[16];
        if (host.find(':') != std::string::npos)
            throw ConfigError("\"" + text + "\": write IPv6 addresses in brackets, e.g. \"[::1]:25\"");
        if (!parse_v4(host, tmp))
            throw ConfigError("\"" + text + "\": \"" + host + "\" is not an IPv4 address (host names are not accepted)");
    }
    unsigned p = 0;
    if (!parse_decimal(port, 65535, p) || p == 0)
        throw ConfigError("\"" + text + "\": port must be a number from 1 to 65535");
    out.host = host;
    out.port = static_cast<uint16_t>(p);
    return out;
}

Network parse_network(const std::string& text) {
    Network net;
    net.text = text;
    std::string ip = text;
    std::string bits;
    auto slash = text.find('/');
    if (slash != std::string::npos) {
        ip = text.substr(0, slash);
        bits = text.substr(slash + 1);
    }
    bool v4 = parse_v4(ip, net.addr);
    if (!v4 && !parse_v6(ip, net.addr))
        throw ConfigError("\"" + text + "\": expected a network like \"10.0.0.0/8\" or \"2001:db8::/32\"");
    unsigned max = v4 ? 32 : 128;
    unsigned prefix = max;   // a bare address is a single host
    if (slash != std::string::npos && !parse_decimal(bits, max, prefix))
        throw ConfigError("\"" + text + "\": prefix length must be a number from 0 to " + std::to_string(max));
    net.prefix = static_cast<uint8_t>(v4 ? prefix + 96 : prefix);

    // Host bits set ("10.0.0.1/8") is almost always a typo for a narrower
    // network; refuse instead of silently widening what may relay.
    Network masked = net;
    for (unsigned i = 0; i < 16; ++i) {
        unsigned lo = i * 8;
        if (lo >= net.prefix) masked.addr[i] = 0;
        else if (lo + 8 > net.prefix) masked.addr[i] &= static_cast<uint8_t>(0xff << (8 - (net.prefix - lo)));
    }
    if (std::memcmp(masked.addr, net.addr, 16) != 0) {
        char buf[INET6_ADDRSTRLEN] = {};
        if (v4) inet_ntop(AF_INET, masked.addr + 12, buf, sizeof buf);
        else inet_ntop(AF_INET6, masked.addr, buf, sizeof buf);
        throw ConfigError("\"" + text + "\": address has bits set beyond the prefix (did you mean \"" +
                          std::string(buf) + "/" + std::to_string(prefix) + "\"?)");
    }
    return net;
}

}  // namespace ringpost::config
