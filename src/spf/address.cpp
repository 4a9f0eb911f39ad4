#include "spf/address.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace ringpost::spf {
namespace {

std::optional<Ip> parse(int family, std::string_view text) {
    if (text.empty() || text.size() > 45) return std::nullopt;
    char buf[46];
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    Ip ip;
    ip.v4 = family == AF_INET;
    if (inet_pton(family, buf, ip.bytes) != 1) return std::nullopt;
    return ip;
}

}  // namespace

std::optional<Ip> parse_ip4(std::string_view text) { return parse(AF_INET, text); }
std::optional<Ip> parse_ip6(std::string_view text) { return parse(AF_INET6, text); }

std::optional<Ip> client_ip(std::string_view text) {
    if (auto v4 = parse_ip4(text)) return v4;
    auto v6 = parse_ip6(text);
    if (!v6) return std::nullopt;
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(v6->bytes, kMapped, sizeof kMapped) == 0) {
        Ip v4;
        std::memcpy(v4.bytes, v6->bytes + 12, 4);
        return v4;
    }
    return v6;
}

bool in_network(const Ip& ip, const Ip& net, unsigned prefix) {
    if (ip.v4 != net.v4) return false;
    const unsigned bits = ip.v4 ? 32 : 128;
    if (prefix > bits) return false;
    const unsigned whole = prefix / 8;
    if (std::memcmp(ip.bytes, net.bytes, whole) != 0) return false;
    const unsigned rest = prefix % 8;
    if (rest == 0) return true;
    const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
    return (ip.bytes[whole] & mask) == (net.bytes[whole] & mask);
}

std::string ip_text(const Ip& ip) {
    char buf[INET6_ADDRSTRLEN];
    if (!inet_ntop(ip.v4 ? AF_INET : AF_INET6, ip.bytes, buf, sizeof buf)) return {};
    return buf;
}

std::string ip_dotted(const Ip& ip) {
    if (ip.v4) return ip_text(ip);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(63);
    for (uint8_t b : ip.bytes) {
        if (!out.empty()) out += '.';
        out += kHex[b >> 4];
        out += '.';
        out += kHex[b & 15];
    }
    return out;
}

}  // namespace ringpost::spf
