// The per-IP rate limiter behind max_connection_rate_per_ip and
// max_message_rate_per_ip: windows, expiry, the memory bound, threads.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "server/rate_limiter.hpp"

namespace ringpost::server {
namespace {

using namespace std::chrono_literals;
using RateVerdict = RateLimiter::Verdict;

struct FakeClock {
    RateLimiter::Clock::time_point now{std::chrono::hours(1)};
    std::function<RateLimiter::Clock::time_point()> fn() {
        return [this] { return now; };
    }
};

std::array<uint8_t, 16> v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d};
}

TEST(RateLimiter, OverTheLimitWithinTheWindow) {
    FakeClock clock;
    RateLimiter limiter(5, 60s, 1000, clock.fn());
    const auto ip = v4(192, 0, 2, 1);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(limiter.hit(ip.data()), RateVerdict::kOk) << i;
    EXPECT_EQ(limiter.hit(ip.data()), RateVerdict::kOverLimit);
    // Refused events count too (as anvil's): a client that keeps knocking stays out.
    EXPECT_EQ(limiter.count(ip.data()), 6u);
    // Another address has its own count.
    EXPECT_EQ(limiter.hit(v4(192, 0, 2, 2).data()), RateVerdict::kOk);
    clock.now += 59s;
    EXPECT_EQ(limiter.hit(ip.data()), RateVerdict::kOverLimit);
    // A new window starts with the first event after the last one ended.
    clock.now += 1s;
    EXPECT_EQ(limiter.count(ip.data()), 0u);
    EXPECT_EQ(limiter.hit(ip.data()), RateVerdict::kOk);
    EXPECT_EQ(limiter.count(ip.data()), 1u);
}

TEST(RateLimiter, ZeroIsNoLimitAndKeepsNothing) {
    RateLimiter limiter(0);
    const auto ip = v4(192, 0, 2, 1);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(limiter.hit(ip.data()), RateVerdict::kOk);
    EXPECT_TRUE(limiter.unlimited());
    EXPECT_EQ(limiter.tracked(), 0u);
}

TEST(RateLimiter, MemoryIsBoundedAndIdleAddressesMakeRoom) {
    FakeClock clock;
    // 16 shards of 2: at most 32 addresses.
    RateLimiter limiter(3, 60s, 32, clock.fn());
    size_t untracked = 0;
    for (int i = 0; i < 1000; ++i) {
        const auto ip = v4(10, 0, static_cast<uint8_t>(i / 256), static_cast<uint8_t>(i % 256));
        if (limiter.hit(ip.data()) == RateVerdict::kUntracked) ++untracked;
        ASSERT_LE(limiter.tracked(), 32u);
    }
    EXPECT_GE(untracked, 1000u - 32u);
    // A tracked address is still counted while the table is full.
    const auto first = v4(10, 0, 0, 0);
    const bool first_tracked = limiter.count(first.data()) == 1;
    // Once the windows end, new addresses take the room of idle ones.
    clock.now += 61s;
    size_t tracked_now = 0;
    for (int i = 0; i < 64; ++i) {
        const auto ip = v4(172, 16, 0, static_cast<uint8_t>(i));
        if (limiter.hit(ip.data()) != RateVerdict::kUntracked) ++tracked_now;
    }
    EXPECT_GE(tracked_now, 16u);
    EXPECT_LE(limiter.tracked(), 32u);
    if (first_tracked) {
        EXPECT_EQ(limiter.count(first.data()), 0u);
    }
}

TEST(RateLimiter, AFullShardDoesNotScanAgainBeforeItsOldestWindowEnds) {
    FakeClock clock;
    RateLimiter limiter(3, 60s, 16, clock.fn());   // one address per shard
    std::vector<std::array<uint8_t, 16>> in;
    for (int i = 0; in.size() < 16 && i < 10000; ++i) {
        const auto ip = v4(10, 1, static_cast<uint8_t>(i / 256), static_cast<uint8_t>(i % 256));
        if (limiter.hit(ip.data()) == RateVerdict::kOk) in.push_back(ip);
    }
    ASSERT_EQ(limiter.tracked(), 16u);
    // The tracked addresses keep being limited while newcomers go untracked.
    for (int i = 0; i < 3; ++i) limiter.hit(in[0].data());
    EXPECT_EQ(limiter.hit(in[0].data()), RateVerdict::kOverLimit);
    clock.now += 30s;
    EXPECT_EQ(limiter.hit(v4(10, 2, 0, 1).data()), RateVerdict::kUntracked);
    clock.now += 31s;
    EXPECT_EQ(limiter.hit(v4(10, 2, 0, 1).data()), RateVerdict::kOk);
}

TEST(RateLimiter, SharedByThreads) {
    RateLimiter limiter(1000, 60s);
    const auto ip = v4(198, 51, 100, 7);
    std::atomic<int> over{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 500; ++i)
                if (limiter.hit(ip.data()) == RateVerdict::kOverLimit) ++over;
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(over.load(), 1000);
    EXPECT_EQ(limiter.count(ip.data()), 2000u);
}

}  // namespace
}  // namespace ringpost::server
