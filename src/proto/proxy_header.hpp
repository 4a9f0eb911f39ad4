// The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and
// 2): what a load balancer in front of a listener sends first, before the
// client's own bytes, to say who the client really is. Sans I/O: the
// parser looks at the bytes received so far and says whether they are a
// whole header (and how long it is, so that the caller consumes exactly
// that and leaves what follows, a TLS ClientHello say, to the next layer),
// a header still incomplete, or not a header at all.
//
// Version 1 is one text line, "PROXY TCP4 SRC DST SPORT DPORT\r\n" (TCP6
// with IPv6 addresses, or "PROXY UNKNOWN ...\r\n"), at most 107 bytes.
// Version 2 is binary: a 12-byte signature, version and command, family
// and transport, a 16-bit length, then that many bytes of addresses and
// TLVs (which are checked to fit and skipped). The v2 LOCAL command and
// v1 UNKNOWN (a proxy's own health check) carry no client: the caller
// keeps the socket's peer address.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ringpost::proto {

// The v2 signature, and the longest v1 line (CRLF included).
inline constexpr std::string_view kProxyV2Signature{"\r\n\r\n\0\r\nQUIT\n", 12};
inline constexpr size_t kProxyV1MaxLength = 107;
inline constexpr size_t kProxyV2FixedLength = 16;

struct ProxyHeader {
    int version = 0;          // 1 or 2
    size_t length = 0;        // bytes of the header, all of them to be consumed
    // False for v2 LOCAL, v2 PROXY over AF_UNSPEC and v1 UNKNOWN: the
    // connection's own addresses stand.
    bool has_addresses = false;
    // AF_INET or AF_INET6 socket addresses (ports in network order), when has_addresses.
    sockaddr_storage source{};
    sockaddr_storage destination{};
};

struct ProxyParse {
    enum class Status { kComplete, kNeedMore, kInvalid };
    Status status = Status::kNeedMore;
    ProxyHeader header;   // kComplete
    // kNeedMore: the least total input that can complete the header (the
    // exact length once a v2 header's length field has arrived); all the
    // input seen so far belongs to the header.
    size_t need = 0;
    // kInvalid: why, a log word ("not_proxy", "v1_too_long", "v2_bad_tlv", ...).
    const char* reason = "";
};

// Parses the header at the start of `input` (everything received so far).
ProxyParse parse_proxy_header(std::string_view input);

}  // namespace ringpost::proto
