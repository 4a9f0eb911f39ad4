// The PROXY protocol header parser (proto/proxy_header.hpp): v1 and v2
// headers as HAProxy and the cloud load balancers send them, every prefix
// of one asking for more, the bytes behind a header never counted in its
// length, and the damaged headers refused with their reason.
#include "proto/proxy_header.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>

using namespace ringpost::proto;

namespace {

using Status = ProxyParse::Status;

// "ip:port" of a parsed socket address.
std::string text_of(const sockaddr_storage& a) {
    char buf[INET6_ADDRSTRLEN] = "";
    if (a.ss_family == AF_INET) {
        const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
        inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof buf);
        return std::string(buf) + ":" + std::to_string(ntohs(v4->sin_port));
    }
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
    inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(ntohs(v6->sin6_port));
}

std::string be16(size_t n) { return {static_cast<char>(n >> 8), static_cast<char>(n & 0xff)}; }

// A v2 header: version/command byte, family byte, the block behind the length.
std::string v2(unsigned char ver_cmd, unsigned char family, const std::string& block) {
    return std::string(kProxyV2Signature) + static_cast<char>(ver_cmd) + static_cast<char>(family) +
           be16(block.size()) + block;
}

std::string bytes(std::initializer_list<int> list) {
    std::string s;
    for (int b : list) s += static_cast<char>(b);
    return s;
}

// 192.0.2.10:51000 -> 198.51.100.1:25
const std::string kInetBlock = bytes({192, 0, 2, 10, 198, 51, 100, 1}) + be16(51000) + be16(25);

ProxyParse parse(const std::string& s) { return parse_proxy_header(s); }

// Every proper prefix of a complete header asks for more, and never for
// more than the header is long.
void expect_prefixes_need_more(const std::string& header, size_t length) {
    for (size_t n = 0; n < length; ++n) {
        const ProxyParse p = parse(header.substr(0, n));
        ASSERT_EQ(p.status, Status::kNeedMore) << "prefix of " << n << " bytes: " << p.reason;
        EXPECT_GT(p.need, n) << n;
        EXPECT_LE(p.need, length) << n;
    }
}

TEST(ProxyHeader, V1Tcp4) {
    const std::string line = "PROXY TCP4 192.0.2.10 198.51.100.1 51000 25\r\n";
    const ProxyParse p = parse(line + "EHLO client.example\r\n");
    ASSERT_EQ(p.status, Status::kComplete) << p.reason;
    EXPECT_EQ(p.header.version, 1);
    EXPECT_EQ(p.header.length, line.size());   // the EHLO behind it is not the header's
    ASSERT_TRUE(p.header.has_addresses);
    EXPECT_EQ(text_of(p.header.source), "192.0.2.10:51000");
    EXPECT_EQ(text_of(p.header.destination), "198.51.100.1:25");
    expect_prefixes_need_more(line, line.size());
}

TEST(ProxyHeader, V1Tcp6) {
    const std::string line = "PROXY TCP6 2001:db8::7 2001:db8::1 65535 993\r\n";
    const ProxyParse p = parse(line);
    ASSERT_EQ(p.status, Status::kComplete) << p.reason;
    EXPECT_EQ(p.header.length, line.size());
    EXPECT_EQ(text_of(p.header.source), "[2001:db8::7]:65535");
    EXPECT_EQ(text_of(p.header.destination), "[2001:db8::1]:993");
}

TEST(ProxyHeader, V1UnknownKeepsTheSocketAddress) {
    for (const std::string line : {"PROXY UNKNOWN\r\n", "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"}) {
        const ProxyParse p = parse(line + "\x16\x03\x01");   // a ClientHello behind it
        ASSERT_EQ(p.status, Status::kComplete) << line;
        EXPECT_FALSE(p.header.has_addresses);
        EXPECT_EQ(p.header.length, line.size());
    }
}

TEST(ProxyHeader, TheLongestV1LineIsAcceptedAndOneByteMoreIsNot) {
    // The specification's worst case: UNKNOWN with the longest addresses.
    const std::string v6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
    const std::string longest = "PROXY UNKNOWN " + v6 + " " + v6 + " 65535 65535\r\n";
    ASSERT_EQ(longest.size(), kProxyV1MaxLength);
    EXPECT_EQ(parse(longest).status, Status::kComplete);
    const std::string tcp6 = "PROXY TCP6 " + v6 + " " + v6 + " 65535 65535\r\n";
    EXPECT_EQ(parse(tcp6).status, Status::kComplete);
    const std::string unknown_long = "PROXY UNKNOWN " + std::string(kProxyV1MaxLength - 15, 'x');   // 106 bytes
    EXPECT_EQ(parse(unknown_long + "\r\n").status, Status::kInvalid);
    EXPECT_STREQ(parse(unknown_long + "\r\n").reason, "v1_too_long");
    EXPECT_STREQ(parse(unknown_long + "x").reason, "v1_too_long");     // no CRLF in sight
    EXPECT_EQ(parse(unknown_long.substr(0, 100)).status, Status::kNeedMore);
}

TEST(ProxyHeader, DamagedV1LinesAreRefused) {
    const struct {
        const char* input;
        const char* reason;
    } cases[] = {
        {"PROXY TCP4 192.0.2.10 198.51.100.1 51000\r\n", "v1_malformed"},         // a field missing
        {"PROXY TCP4 192.0.2.10 198.51.100.1 51000 25 x\r\n", "v1_malformed"},    // one too many
        {"PROXY TCP4  192.0.2.10 198.51.100.1 51000 25\r\n", "v1_malformed"},     // two spaces
        {"PROXY UDP4 192.0.2.10 198.51.100.1 51000 25\r\n", "v1_bad_protocol"},
        {"PROXY TCP4 2001:db8::1 198.51.100.1 1 25\r\n", "v1_bad_address"},      // v6 in TCP4
        {"PROXY TCP6 192.0.2.10 2001:db8::1 1 25\r\n", "v1_bad_address"},
        {"PROXY TCP4 192.0.2.010 198.51.100.1 1 25\r\n", "v1_bad_address"},      // a leading zero
        {"PROXY TCP4 192.0.2.10 198.51.100.1 65536 25\r\n", "v1_bad_address"},
        {"PROXY TCP4 192.0.2.10 198.51.100.1 -1 25\r\n", "v1_bad_address"},
        {"PROXY TCP4 192.0.2.10 198.51.100.1 1 25\n", "v1_malformed"},           // LF without CR
        {"PROXY TCP4 192.0.2.10\r198.51.100.1 1 25\r\n", "v1_malformed"},        // CR without LF
        {"PROXY TCP4 192.0.2.10\x01", "v1_malformed"},                            // not text
        {"PROXY\r\n", "not_proxy"},
        {"proxy TCP4 192.0.2.10 198.51.100.1 1 25\r\n", "not_proxy"},
        {"EHLO client.example\r\n", "not_proxy"},
        {"GET / HTTP/1.1\r\n", "not_proxy"},
        {"\x16\x03\x01\x02\x00", "not_proxy"},                                    // a TLS ClientHello
        {"PRX", "not_proxy"},
    };
    for (const auto& c : cases) {
        const ProxyParse p = parse(c.input);
        EXPECT_EQ(p.status, Status::kInvalid) << c.input;
        EXPECT_STREQ(p.reason, c.reason) << c.input;
    }
}

TEST(ProxyHeader, V2ProxyOverIpv4) {
    const std::string header = v2(0x21, 0x11, kInetBlock);
    const ProxyParse p = parse(header + "\x16\x03\x01 hello");
    ASSERT_EQ(p.status, Status::kComplete) << p.reason;
    EXPECT_EQ(p.header.version, 2);
    EXPECT_EQ(p.header.length, 28u);
    ASSERT_TRUE(p.header.has_addresses);
    EXPECT_EQ(text_of(p.header.source), "192.0.2.10:51000");
    EXPECT_EQ(text_of(p.header.destination), "198.51.100.1:25");
    expect_prefixes_need_more(header, header.size());
    EXPECT_EQ(parse(header.substr(0, 20)).need, 28u);   // exact, once the length is in
}

TEST(ProxyHeader, V2ProxyOverIpv6) {
    std::string src(16, '\0'), dst(16, '\0');
    src[0] = 0x20, src[1] = 0x01, src[2] = 0x0d, src[3] = static_cast<char>(0xb8), src[15] = 7;
    dst[0] = 0x20, dst[1] = 0x01, dst[2] = 0x0d, dst[3] = static_cast<char>(0xb8), dst[15] = 1;
    const std::string header = v2(0x21, 0x21, src + dst + be16(40000) + be16(465));
    const ProxyParse p = parse(header);
    ASSERT_EQ(p.status, Status::kComplete) << p.reason;
    EXPECT_EQ(p.header.length, 16u + 36u);
    EXPECT_EQ(text_of(p.header.source), "[2001:db8::7]:40000");
    EXPECT_EQ(text_of(p.header.destination), "[2001:db8::1]:465");
}

TEST(ProxyHeader, V2TlvsAreSkippedWithinTheLength) {
    const std::string kVpce = "\x01" "vpce-0123456789abcdef";
    // PP2_TYPE_ALPN "h2", PP2_TYPE_AUTHORITY, a NOOP of 0 bytes, and an AWS VPC endpoint ID.
    const std::string tlvs = bytes({0x01}) + be16(2) + "h2" + bytes({0x02}) + be16(11) + "example.org" +
                             bytes({0x04}) + be16(0) + bytes({0xEA}) + be16(kVpce.size()) + kVpce;
    const std::string header = v2(0x21, 0x11, kInetBlock + tlvs);
    const ProxyParse p = parse(header + "EHLO x\r\n");
    ASSERT_EQ(p.status, Status::kComplete) << p.reason;
    EXPECT_EQ(p.header.length, header.size());
    EXPECT_EQ(text_of(p.header.source), "192.0.2.10:51000");
    expect_prefixes_need_more(header, header.size());
}

TEST(ProxyHeader, V2TlvsThatOverrunTheLengthAreRefused) {
    // A TLV claiming 10 bytes where 2 are left, and a TLV header cut short.
    for (const std::string& tlvs : {bytes({0x01}) + be16(10) + "h2", bytes({0x01, 0x00})}) {
        const ProxyParse p = parse(v2(0x21, 0x11, kInetBlock + tlvs) + "EHLO x\r\n");
        EXPECT_EQ(p.status, Status::kInvalid);
        EXPECT_STREQ(p.reason, "v2_bad_tlv");
    }
}

TEST(ProxyHeader, V2LocalKeepsTheSocketAddress) {
    // A health check: LOCAL with AF_UNSPEC and no block, and LOCAL whose
    // block (ignored, family and all) holds addresses.
    for (const std::string& header : {v2(0x20, 0x00, ""), v2(0x20, 0x11, kInetBlock), v2(0x20, 0x77, "junk")}) {
        const ProxyParse p = parse(header + "rest");
        ASSERT_EQ(p.status, Status::kComplete) << p.reason;
        EXPECT_FALSE(p.header.has_addresses);
        EXPECT_EQ(p.header.length, header.size());
    }
    // PROXY over AF_UNSPEC: no addresses to use either.
    const ProxyParse unspec = parse(v2(0x21, 0x00, ""));
    ASSERT_EQ(unspec.status, Status::kComplete);
    EXPECT_FALSE(unspec.header.has_addresses);
}

TEST(ProxyHeader, DamagedV2HeadersAreRefused) {
    const struct {
        std::string input;
        const char* reason;
    } cases[] = {
        {v2(0x11, 0x11, kInetBlock), "v2_bad_version"},
        {v2(0x31, 0x11, kInetBlock), "v2_bad_version"},
        {v2(0x22, 0x11, kInetBlock), "v2_bad_command"},
        {v2(0x21, 0x12, kInetBlock), "v2_unsupported_family"},          // UDP
        {v2(0x21, 0x31, std::string(216, 'u')), "v2_unsupported_family"},   // a unix socket
        {v2(0x21, 0x41, kInetBlock), "v2_bad_family"},
        {v2(0x21, 0x13, kInetBlock), "v2_bad_family"},
        {v2(0x21, 0x11, kInetBlock.substr(0, 11)), "v2_short_address"},
        {v2(0x21, 0x21, kInetBlock), "v2_short_address"},               // 12 bytes for IPv6's 36
        {std::string("\r\n\r\n\0\r\nQUIX\n", 12) + "\x21\x11" + be16(12) + kInetBlock, "not_proxy"},
        {std::string("\r\n\r\nX", 5), "not_proxy"},
    };
    for (const auto& c : cases) {
        const ProxyParse p = parse(c.input);
        EXPECT_EQ(p.status, Status::kInvalid) << c.reason;
        EXPECT_STREQ(p.reason, c.reason);
    }
    // Refused as soon as the fixed part shows it, before the block arrives.
    EXPECT_EQ(parse(v2(0x21, 0x12, kInetBlock).substr(0, 16)).status, Status::kInvalid);
    EXPECT_EQ(parse(v2(0x11, 0x11, kInetBlock).substr(0, 13)).status, Status::kInvalid);
}

TEST(ProxyHeader, TheLongestV2HeaderWaitsForAllOfItsBytes) {
    const std::string tlv = bytes({0xE0}) + be16(65535 - 12 - 3) + std::string(65535 - 12 - 3, 't');
    const std::string header = v2(0x21, 0x11, kInetBlock + tlv);
    ASSERT_EQ(header.size(), 16u + 65535u);
    const ProxyParse partial = parse(header.substr(0, 1000));
    EXPECT_EQ(partial.status, Status::kNeedMore);
    EXPECT_EQ(partial.need, header.size());
    const ProxyParse p = parse(header + "after");
    ASSERT_EQ(p.status, Status::kComplete) << p.reason;
    EXPECT_EQ(p.header.length, header.size());
}

TEST(ProxyHeader, NothingYetAsksForTheShortestHeader) {
    const ProxyParse p = parse("");
    EXPECT_EQ(p.status, Status::kNeedMore);
    EXPECT_EQ(p.need, 15u);   // "PROXY UNKNOWN\r\n"
}

}  // namespace
