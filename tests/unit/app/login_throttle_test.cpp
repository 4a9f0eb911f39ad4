// Failed-login delays per client IP, and the POP3 backend's small helpers.
#include <gtest/gtest.h>

#include "app/login_throttle.hpp"
#include "io/socket.hpp"
#include "app/pop3_backend.hpp"

namespace ringpost::app {
namespace {

using namespace std::chrono_literals;

TEST(LoginThrottle, DelayGrowsPerAddressAndIsCapped) {
    LoginThrottle t;
    auto now = LoginThrottle::Clock::now();
    EXPECT_EQ(t.failed("192.0.2.1", now), 2000ms);
    EXPECT_EQ(t.failed("192.0.2.1", now), 4000ms);
    EXPECT_EQ(t.failed("192.0.2.2", now), 2000ms);   // another address has its own count
    for (int i = 0; i < 10; ++i) t.failed("192.0.2.1", now);
    EXPECT_EQ(t.failed("192.0.2.1", now), LoginThrottle::kMaxDelay);
    EXPECT_EQ(t.failures("192.0.2.1", now), 13u);
}

TEST(LoginThrottle, SuccessAndQuietTimeReset) {
    LoginThrottle t;
    auto now = LoginThrottle::Clock::now();
    t.failed("192.0.2.1", now);
    t.failed("192.0.2.1", now);
    t.succeeded("192.0.2.1");
    EXPECT_EQ(t.failures("192.0.2.1", now), 0u);
    EXPECT_EQ(t.failed("192.0.2.1", now), 2000ms);
    auto later = now + LoginThrottle::kForget + 1s;
    EXPECT_EQ(t.failures("192.0.2.1", later), 0u);
    EXPECT_EQ(t.failed("192.0.2.1", later), 2000ms);   // counting starts over
}

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
}  // namespace ringpost::app
