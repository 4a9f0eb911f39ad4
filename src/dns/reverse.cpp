// Reverse-order address names; see reverse.hpp.
#include "dns/reverse.hpp"

#include <arpa/inet.h>

#include <cstdint>

namespace ringpost::dns {

std::optional<std::string> reversed_address(std::string_view ip) {
    std::string text(ip);
    in_addr v4{};
    if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) {
        auto* b = reinterpret_cast<const uint8_t*>(&v4);
        return std::to_string(b[3]) + "." + std::to_string(b[2]) + "." + std::to_string(b[1]) + "." +
               std::to_string(b[0]);
    }
    in6_addr v6{};
    if (::inet_pton(AF_INET6, text.c_str(), &v6) != 1) return std::nullopt;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(63);
    for (int i = 15; i >= 0; --i) {
        uint8_t byte = v6.s6_addr[i];
        if (!out.empty()) out.push_back('.');
        out.push_back(kHex[byte & 0x0f]);
        out.push_back('.');
        out.push_back(kHex[byte >> 4]);
    }
    return out;
}

std::optional<std::string> ptr_name(std::string_view ip) {
    auto reversed = reversed_address(ip);
    if (!reversed) return std::nullopt;
    bool v6 = ip.find(':') != std::string_view::npos;
    return *reversed + (v6 ? ".ip6.arpa" : ".in-addr.arpa");
}

}  // namespace ringpost::dns
