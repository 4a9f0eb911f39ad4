// DATA/BDAT deadline with a minimum data rate (Postfix smtpd_min_data_rate).
#include <gtest/gtest.h>

#include "smtp/data_deadline.hpp"

namespace ringpost::smtp {
namespace {

using namespace std::chrono_literals;
using Clock = DataDeadline::Clock;

TEST(DataDeadline, StartsWithTheWholeLimit) {
    DataDeadline d(10s, 500);
    const auto t0 = Clock::now();
    d.start(t0);
    EXPECT_EQ(d.remaining(t0), 10000ms);
    EXPECT_EQ(d.remaining(t0 + 4s), 6000ms);
    EXPECT_EQ(d.remaining(t0 + 10s), 0ms);
    EXPECT_EQ(d.remaining(t0 + 11s), 0ms);
}

TEST(DataDeadline, TricklingClientRunsOutAfterAboutTheLimit) {
    // One byte every second earns 2 ms each: the limit is spent in ~10 s,
    // where every read used to grant 10 s anew.
    DataDeadline d(10s, 500);
    const auto t0 = Clock::now();
    d.start(t0);
    auto t = t0;
    int reads = 0;
    while (d.remaining(t) > 1s && reads < 100) {
        t += 1s;
        d.received(t, 1);
        ++reads;
    }
    EXPECT_EQ(reads, 10);
    EXPECT_LT(d.remaining(t), 1100ms);
}

TEST(DataDeadline, ClientAtTheMinimumRateNeverRunsOut) {
    DataDeadline d(10s, 500);
    const auto t0 = Clock::now();
    d.start(t0);
    auto t = t0;
    for (int i = 0; i < 1000; ++i) {   // 1000 s of 5 s pauses, 2500 bytes each
        t += 5s;
        d.received(t, 2500);
        ASSERT_GE(d.remaining(t), 9999ms) << "after read " << i;
    }
}

TEST(DataDeadline, NeverMoreThanTheLimitInHand) {
    // A fast burst does not bank time for a long stall afterwards.
    DataDeadline d(10s, 500);
    const auto t0 = Clock::now();
    d.start(t0);
    d.received(t0 + 1s, 50'000'000);
    EXPECT_EQ(d.remaining(t0 + 1s), 10000ms);
    EXPECT_EQ(d.remaining(t0 + 11s), 0ms);
}

TEST(DataDeadline, RateZeroStartsTheLimitAnewOnEveryRead) {
    DataDeadline d(10s, 0);
    const auto t0 = Clock::now();
    d.start(t0);
    d.received(t0 + 9s, 1);
    EXPECT_EQ(d.remaining(t0 + 9s), 10000ms);
}

TEST(DataDeadline, TimeTheServerHeldTheTransferIsNotTheClients) {
    // Backpressure: the server stopped reading for 30 s; the client's
    // deadline moves by those 30 s.
    DataDeadline d(10s, 500);
    const auto t0 = Clock::now();
    d.start(t0);
    d.received(t0 + 2s, 0);
    d.paused(30s);
    EXPECT_EQ(d.remaining(t0 + 32s), 8000ms);
}

}  // namespace
}  // namespace ringpost::smtp
