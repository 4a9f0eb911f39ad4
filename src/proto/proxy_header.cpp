// parse_proxy_header(): versions 1 and 2 of the PROXY protocol, strictly:
// a header that is not exactly what the specification allows is refused
// (the connection is closed), because whatever follows a damaged header
// cannot be trusted to start where the client's bytes start.
#include "proto/proxy_header.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace ringpost::proto {
namespace {

using Status = ProxyParse::Status;

constexpr std::string_view kV1Prefix = "PROXY ";
// "PROXY UNKNOWN\r\n" and the 16 fixed bytes of v2: nothing shorter completes a header.
constexpr size_t kV1MinLength = 15;

// v2 address block sizes (proxy-protocol.txt 2.2).
constexpr size_t kV2Inet = 12;
constexpr size_t kV2Inet6 = 36;

ProxyParse invalid(const char* reason) {
    ProxyParse p;
    p.status = Status::kInvalid;
    p.reason = reason;
    return p;
}

ProxyParse need_more(size_t need) {
    ProxyParse p;
    p.need = need;
    return p;
}

ProxyParse complete(ProxyHeader header) {
    ProxyParse p;
    p.status = Status::kComplete;
    p.header = header;
    return p;
}

// --- version 1

// A decimal port, 1 to 5 digits, at most 65535.
bool parse_port(std::string_view text, uint16_t& port) {
    if (text.empty() || text.size() > 5) return false;
    uint32_t n = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        n = n * 10 + static_cast<uint32_t>(c - '0');
    }
    if (n > 65535) return false;
    port = static_cast<uint16_t>(n);
    return true;
}

// An address of `family` and a port into a socket address; inet_pton
// takes only the plain forms (no leading zeros in IPv4, no zone in IPv6).
bool make_v1_address(int family, std::string_view ip, std::string_view port_text, sockaddr_storage& out) {
    char text[INET6_ADDRSTRLEN] = {};
    uint16_t port = 0;
    if (ip.empty() || ip.size() >= sizeof text || !parse_port(port_text, port)) return false;
    std::memcpy(text, ip.data(), ip.size());
    std::memset(&out, 0, sizeof out);
    if (family == AF_INET) {
        auto* a = reinterpret_cast<sockaddr_in*>(&out);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        return inet_pton(AF_INET, text, &a->sin_addr) == 1;
    }
    auto* a = reinterpret_cast<sockaddr_in6*>(&out);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    return inet_pton(AF_INET6, text, &a->sin6_addr) == 1;
}

// Splits at single spaces into at most `max` fields; false on an empty field or too many.
template <size_t N>
bool split_fields(std::string_view line, std::string_view (&fields)[N], size_t& count) {
    count = 0;
    for (;;) {
        const size_t space = line.find(' ');
        if (count == N) return false;
        fields[count++] = line.substr(0, space);
        if (fields[count - 1].empty()) return false;
        if (space == std::string_view::npos) return true;
        line.remove_prefix(space + 1);
    }
}

// The line without its CRLF: "PROXY TCP4 SRC DST SPORT DPORT".
ProxyParse parse_v1_line(std::string_view line, size_t length) {
    ProxyHeader h;
    h.version = 1;
    h.length = length;
    line.remove_prefix(kV1Prefix.size());
    // UNKNOWN: whatever follows it up to the CRLF is to be ignored.
    if (line == "UNKNOWN" || line.starts_with("UNKNOWN ")) return complete(h);
    std::string_view f[5];
    size_t count = 0;
    if (!split_fields(line, f, count) || count != 5) return invalid("v1_malformed");
    int family = 0;
    if (f[0] == "TCP4") family = AF_INET;
    else if (f[0] == "TCP6") family = AF_INET6;
    else return invalid("v1_bad_protocol");
    if (!make_v1_address(family, f[1], f[3], h.source) || !make_v1_address(family, f[2], f[4], h.destination))
        return invalid("v1_bad_address");
    h.has_addresses = true;
    return complete(h);
}

ProxyParse parse_v1(std::string_view input) {
    const size_t prefix = std::min(input.size(), kV1Prefix.size());
    if (input.substr(0, prefix) != kV1Prefix.substr(0, prefix)) return invalid("not_proxy");
    // The CR can be no further than this; bytes beyond are never looked at,
    // so the verdict on a prefix is the verdict on everything after it too.
    const size_t last_cr = kProxyV1MaxLength - 2;
    const size_t window = std::min(input.size(), last_cr + 1);
    for (size_t i = 0; i < window; ++i) {
        const unsigned char c = static_cast<unsigned char>(input[i]);
        if (c == '\r') {
            if (i + 1 == input.size()) return need_more(std::max(input.size() + 1, kV1MinLength));
            if (input[i + 1] != '\n') return invalid("v1_malformed");
            return parse_v1_line(input.substr(0, i), i + 2);
        }
        if (c < 0x20 || c > 0x7e) return invalid("v1_malformed");
    }
    if (window > last_cr) return invalid("v1_too_long");   // no CR where the CRLF could still fit
    return need_more(std::max(input.size() + 2, kV1MinLength));
}

// --- version 2

uint16_t be16(std::string_view s, size_t at) {
    return static_cast<uint16_t>((static_cast<unsigned char>(s[at]) << 8) | static_cast<unsigned char>(s[at + 1]));
}

// The address block of a v2 PROXY command (family INET or INET6 over
// STREAM) into the header.
void read_v2_addresses(std::string_view block, bool v6, ProxyHeader& h) {
    std::memset(&h.source, 0, sizeof h.source);
    std::memset(&h.destination, 0, sizeof h.destination);
    const size_t ip = v6 ? 16 : 4;
    const uint16_t sport = htons(be16(block, 2 * ip));
    const uint16_t dport = htons(be16(block, 2 * ip + 2));
    auto fill = [&](sockaddr_storage& out, size_t at, uint16_t port) {
        if (v6) {
            auto* a = reinterpret_cast<sockaddr_in6*>(&out);
            a->sin6_family = AF_INET6;
            a->sin6_port = port;
            std::memcpy(&a->sin6_addr, block.data() + at, 16);
        } else {
            auto* a = reinterpret_cast<sockaddr_in*>(&out);
            a->sin_family = AF_INET;
            a->sin_port = port;
            std::memcpy(&a->sin_addr, block.data() + at, 4);
        }
    };
    fill(h.source, 0, sport);
    fill(h.destination, ip, dport);
    h.has_addresses = true;
}

// The TLVs behind the addresses: each one's type and length must fit in
// what the header's length gives, or the header is damaged.
bool tlvs_fit(std::string_view tlvs) {
    while (!tlvs.empty()) {
        if (tlvs.size() < 3) return false;
        const size_t length = 3 + size_t{be16(tlvs, 1)};
        if (length > tlvs.size()) return false;
        tlvs.remove_prefix(length);
    }
    return true;
}

// Byte 13 of a PROXY command: how long its address block is, 0 for
// AF_UNSPEC (no addresses), or invalid.
ProxyParse v2_address_length(unsigned char family, size_t& length) {
    switch (family) {
        case 0x00: length = 0; return need_more(0);            // UNSPEC
        case 0x11: length = kV2Inet; return need_more(0);      // TCP over IPv4
        case 0x21: length = kV2Inet6; return need_more(0);     // TCP over IPv6
        case 0x12: case 0x22: case 0x31: case 0x32: return invalid("v2_unsupported_family");   // UDP, unix sockets
        default: return invalid("v2_bad_family");
    }
}

// What the fixed part (bytes 12 and 13, as far as they have arrived)
// says: the command, and for PROXY the address block's length; refused
// as early as the bytes show it.
ProxyParse check_v2_fixed(std::string_view input, unsigned& command, size_t& address_length) {
    command = 0;
    address_length = 0;
    if (input.size() <= 12) return need_more(0);
    const auto ver_cmd = static_cast<unsigned char>(input[12]);
    if ((ver_cmd >> 4) != 2) return invalid("v2_bad_version");
    command = ver_cmd & 0x0f;
    if (command > 1) return invalid("v2_bad_command");
    // LOCAL ignores the family and skips the block whole.
    if (command == 0 || input.size() <= 13) return need_more(0);
    return v2_address_length(static_cast<unsigned char>(input[13]), address_length);
}

ProxyParse parse_v2(std::string_view input) {
    const size_t prefix = std::min(input.size(), kProxyV2Signature.size());
    if (input.substr(0, prefix) != kProxyV2Signature.substr(0, prefix)) return invalid("not_proxy");
    unsigned command = 0;
    size_t address_length = 0;
    const ProxyParse fixed = check_v2_fixed(input, command, address_length);
    if (fixed.status == Status::kInvalid) return fixed;
    if (input.size() < kProxyV2FixedLength) return need_more(kProxyV2FixedLength);
    const size_t total = kProxyV2FixedLength + be16(input, 14);
    if (kProxyV2FixedLength + address_length > total) return invalid("v2_short_address");
    if (input.size() < total) return need_more(total);
    ProxyHeader h;
    h.version = 2;
    h.length = total;
    if (command == 1 && address_length != 0) {
        const std::string_view block = input.substr(kProxyV2FixedLength, total - kProxyV2FixedLength);
        read_v2_addresses(block, address_length == kV2Inet6, h);
        if (!tlvs_fit(block.substr(address_length))) return invalid("v2_bad_tlv");
    }
    return complete(h);
}

}  // namespace

ProxyParse parse_proxy_header(std::string_view input) {
    if (input.empty()) return need_more(kV1MinLength);
    if (input[0] == kV1Prefix[0]) return parse_v1(input);
    if (input[0] == kProxyV2Signature[0]) return parse_v2(input);
    return invalid("not_proxy");
}

}  // namespace ringpost::proto
