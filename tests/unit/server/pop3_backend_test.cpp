// The POP3 backend's helpers: which client addresses count as loopback
// (passwords in plain text are allowed from them), and UIDL -> UID.
#include <gtest/gtest.h>

#include "io/socket.hpp"
#include "server/pop3_backend.hpp"

namespace ringpost::server {
namespace {

TEST(Pop3Backend, LoopbackAddresses) {
    EXPECT_TRUE(io::is_loopback_ip("127.0.0.1"));
    EXPECT_TRUE(io::is_loopback_ip("127.5.6.7"));
    EXPECT_TRUE(io::is_loopback_ip("::1"));
    EXPECT_TRUE(io::is_loopback_ip("::ffff:127.0.0.1"));
    EXPECT_FALSE(io::is_loopback_ip("192.0.2.1"));
    EXPECT_FALSE(io::is_loopback_ip("::ffff:192.0.2.1"));
    EXPECT_FALSE(io::is_loopback_ip("1270.0.0.1"));
}

TEST(Pop3Backend, UidlCarriesTheUid) {
    EXPECT_EQ(uid_of_uidl("1764400000.42"), 42u);
    EXPECT_EQ(uid_of_uidl("1.1"), 1u);
    EXPECT_EQ(uid_of_uidl("42"), 0u);
    EXPECT_EQ(uid_of_uidl("1.x"), 0u);
    EXPECT_EQ(uid_of_uidl("1.42x"), 0u);
    EXPECT_EQ(uid_of_uidl("1."), 0u);
}

}  // namespace
}  // namespace ringpost::server
