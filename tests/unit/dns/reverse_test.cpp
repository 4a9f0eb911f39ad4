// Reverse-order address names for PTR lookups and DNS block lists.
#include <gtest/gtest.h>

#include "dns/reverse.hpp"

using namespace ringpost::dns;

TEST(ReverseNames, Ipv4IsReversedByOctet) {
    EXPECT_EQ(reversed_address("192.0.2.1"), "1.2.0.192");
    EXPECT_EQ(ptr_name("127.0.0.2"), "2.0.0.127.in-addr.arpa");
}

TEST(ReverseNames, Ipv6IsReversedByNibble) {
    // RFC 5782 2.4's example.
    EXPECT_EQ(reversed_address("2001:db8:1:2:3:4:567:89ab"),
              "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2");
    EXPECT_EQ(ptr_name("::1"), "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa");
}

TEST(ReverseNames, TextThatIsNoAddressHasNone) {
    EXPECT_EQ(reversed_address(""), std::nullopt);
    EXPECT_EQ(reversed_address("example.test"), std::nullopt);
    EXPECT_EQ(reversed_address("192.0.2"), std::nullopt);
    EXPECT_EQ(ptr_name("[192.0.2.1]"), std::nullopt);
}
