// A client address as a hash key: the 16-byte form (IPv4 v4-mapped), as
// io::address_bytes gives it; for the tables kept per client address
// (connection counts, connection and message rates).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ringpost::server {

using IpKey = std::array<uint8_t, 16>;

inline IpKey ip_key(const uint8_t ip16[16]) {
    IpKey key;
    std::memcpy(key.data(), ip16, 16);
    return key;
}

struct IpKeyHash {
    size_t operator()(const IpKey& k) const noexcept {
        uint64_t a, b;
        std::memcpy(&a, k.data(), 8);
        std::memcpy(&b, k.data() + 8, 8);
        return static_cast<size_t>((a * 0x9E3779B97F4A7C15ull) ^ (b + 0x7F4A7C159E3779B9ull + (a << 6)));
    }
};

}  // namespace ringpost::server
