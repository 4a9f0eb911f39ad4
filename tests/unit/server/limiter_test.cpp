// ConnectionLimiter: totals and per-IP counts, and that released slots come back.
#include <gtest/gtest.h>

#include "server/connection_limiter.hpp"

using ringpost::server::ConnectionLimiter;

namespace {
void ip(uint8_t out[16], uint8_t last) {
    for (int i = 0; i < 16; ++i) out[i] = 0;
    out[10] = out[11] = 0xff;
    out[12] = 127;
    out[15] = last;
}
}  // namespace

TEST(ConnectionLimiter, PerIpLimitAndRelease) {
    ConnectionLimiter lim(100, 2);
    uint8_t a[16], b[16];
    ip(a, 1);
    ip(b, 2);
    EXPECT_EQ(lim.acquire(a), ConnectionLimiter::Verdict::kOk);
    EXPECT_EQ(lim.acquire(a), ConnectionLimiter::Verdict::kOk);
    EXPECT_EQ(lim.acquire(a), ConnectionLimiter::Verdict::kTooManyFromIp);
    EXPECT_EQ(lim.acquire(b), ConnectionLimiter::Verdict::kOk);
    EXPECT_EQ(lim.total(), 3u);
    lim.release(a);
    EXPECT_EQ(lim.acquire(a), ConnectionLimiter::Verdict::kOk);
    EXPECT_EQ(lim.total(), 3u);
}

TEST(ConnectionLimiter, TotalLimit) {
    ConnectionLimiter lim(3, 0);
    uint8_t a[16];
    for (uint8_t i = 0; i < 3; ++i) {
        ip(a, i);
        EXPECT_EQ(lim.acquire(a), ConnectionLimiter::Verdict::kOk);
    }
    ip(a, 9);
    EXPECT_EQ(lim.acquire(a), ConnectionLimiter::Verdict::kTooManyTotal);
    ip(a, 0);
    lim.release(a);
    ip(a, 9);
    EXPECT_EQ(lim.acquire(a), ConnectionLimiter::Verdict::kOk);
}

TEST(ConnectionLimiter, ReleaseOfUnknownIpIsHarmless) {
    ConnectionLimiter lim(3, 1);
    uint8_t a[16];
    ip(a, 5);
    lim.release(a);
    EXPECT_EQ(lim.total(), 0u);
    EXPECT_EQ(lim.acquire(a), ConnectionLimiter::Verdict::kOk);
}
