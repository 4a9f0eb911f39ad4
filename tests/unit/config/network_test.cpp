// Listen addresses, CIDR networks and membership, for v4, v6 and v4-mapped.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace ringpost::config {
namespace {

bool contains(const std::string& net, const std::string& ip) {
    uint8_t addr[16];
    EXPECT_TRUE(config::parse_ip(ip, addr)) << ip;
    return config::network_contains(config::parse_network(net), addr);
}

TEST(ParseListen, Forms) {
    auto a = config::parse_listen("127.0.0.1:2525");
    EXPECT_EQ(a.host, "127.0.0.1");
    EXPECT_EQ(a.port, 2525);
    EXPECT_EQ(a.text, "127.0.0.1:2525");
    auto b = config::parse_listen("[::1]:2525");
    EXPECT_EQ(b.host, "::1");
    EXPECT_EQ(b.port, 2525);
    auto c = config::parse_listen("0.0.0.0:25");
    EXPECT_EQ(c.host, "0.0.0.0");
    EXPECT_EQ(c.port, 25);
}

TEST(ParseListen, Rejects) {
    for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:+25",
                            "::1:25", "[::1]", "[::1]25", "[127.0.0.1]:25", "localhost:25", "1.2.3:25",
                            "1.2.3.4:25x"})
        EXPECT_THROW(config::parse_listen(bad), config::ConfigError) << bad;
}

TEST(ParseIp, V4IsMapped) {
    uint8_t a[16];
    ASSERT_TRUE(config::parse_ip("192.0.2.1", a));
    const uint8_t expect[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
    EXPECT_EQ(0, memcmp(a, expect, 16));
    ASSERT_TRUE(config::parse_ip("2001:db8::1", a));
    EXPECT_EQ(a[0], 0x20);
    EXPECT_EQ(a[15], 1);
    EXPECT_FALSE(config::parse_ip("example.test", a));
    EXPECT_FALSE(config::parse_ip("300.1.1.1", a));
}

TEST(ParseNetwork, PrefixesAndBareAddresses) {
    EXPECT_EQ(config::parse_network("127.0.0.0/8").prefix, 104);
    EXPECT_EQ(config::parse_network("10.1.2.3").prefix, 128);     // bare v4 = /32
    EXPECT_EQ(config::parse_network("::1").prefix, 128);          // bare v6 = /128
    EXPECT_EQ(config::parse_network("2001:db8::/32").prefix, 32);
    EXPECT_EQ(config::parse_network("0.0.0.0/0").prefix, 96);
    EXPECT_EQ(config::parse_network("::/0").prefix, 0);
    EXPECT_EQ(config::parse_network("127.0.0.0/8").text, "127.0.0.0/8");
}

TEST(ParseNetwork, Rejects) {
    for (const char* bad : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/8x", "10.0.0.0/-1",
                            "host.example/24", "10.0.0.1/8", "2001:db8::1/32"})
        EXPECT_THROW(config::parse_network(bad), config::ConfigError) << bad;
}

TEST(NetworkContains, V4) {
    EXPECT_TRUE(contains("127.0.0.0/8", "127.0.0.1"));
    EXPECT_TRUE(contains("127.0.0.0/8", "127.255.255.255"));
    EXPECT_FALSE(contains("127.0.0.0/8", "128.0.0.1"));
    EXPECT_TRUE(contains("192.168.1.0/25", "192.168.1.127"));
    EXPECT_FALSE(contains("192.168.1.0/25", "192.168.1.128"));
    EXPECT_TRUE(contains("10.1.2.3", "10.1.2.3"));
    EXPECT_FALSE(contains("10.1.2.3", "10.1.2.4"));
    EXPECT_TRUE(contains("0.0.0.0/0", "203.0.113.9"));
    EXPECT_FALSE(contains("0.0.0.0/0", "2001:db8::1"));   // "all of v4" is not "all of v6"
}

TEST(NetworkContains, V6) {
    EXPECT_TRUE(contains("::1/128", "::1"));
    EXPECT_FALSE(contains("::1/128", "::2"));
    EXPECT_TRUE(contains("2001:db8::/32", "2001:db8:ffff::1"));
    EXPECT_FALSE(contains("2001:db8::/32", "2001:db9::1"));
    EXPECT_TRUE(contains("2001:db8::/31", "2001:db9::1"));
    EXPECT_TRUE(contains("::/0", "2001:db8::1"));
}

TEST(NetworkContains, V4MappedClientMatchesV4Network) {
    // A dual-stack socket reports a v4 client as ::ffff:a.b.c.d.
    EXPECT_TRUE(contains("127.0.0.0/8", "::ffff:127.0.0.1"));
    EXPECT_FALSE(contains("127.0.0.0/8", "::ffff:10.0.0.1"));
    EXPECT_TRUE(contains("::ffff:10.0.0.0/104", "10.9.9.9"));
    EXPECT_FALSE(contains("::1/128", "127.0.0.1"));
}

}  // namespace
}  // namespace ringpost::config
