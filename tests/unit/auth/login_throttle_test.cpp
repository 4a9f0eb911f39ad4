// Failed-login delays per client IP, and the POP3 backend's small helpers.
#include <gtest/gtest.h>

#include "auth/login_throttle.hpp"

namespace ringpost::auth {
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

}  // namespace
}  // namespace ringpost::auth
