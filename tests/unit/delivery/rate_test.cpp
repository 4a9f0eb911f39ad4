// Rates ("300/min") and the GCRA pacer that enforces them: passes never
// closer than the interval, no credit for idle time, a new rate applies to
// the pass already scheduled.
#include "delivery/rate.hpp"

#include <gtest/gtest.h>

using namespace ringpost::delivery;
using namespace std::chrono_literals;

TEST(Rate, ParsesCountsOverUnitsAndDurations) {
    EXPECT_EQ(parse_rate("300/min").value(), (Rate{300, 1min}));
    EXPECT_EQ(parse_rate("20/s").value(), (Rate{20, 1s}));
    EXPECT_EQ(parse_rate("5000/h").value(), (Rate{5000, 1h}));
    EXPECT_EQ(parse_rate("100000/day").value(), (Rate{100000, 24h}));
    EXPECT_EQ(parse_rate("10/30s").value(), (Rate{10, 30s}));
    EXPECT_EQ(parse_rate("7/1h30m").value(), (Rate{7, 90min}));
    EXPECT_TRUE(parse_rate("").value().unlimited());
    EXPECT_TRUE(parse_rate("unlimited").value().unlimited());
    for (const char* bad : {"300", "0/s", "-1/s", "x/s", "10/", "10/fortnight", "10/0s", "2000000000/s", "1.5/s"})
        EXPECT_FALSE(parse_rate(bad).ok()) << bad;
}

TEST(Rate, PrintsWhatItParses) {
    for (const char* text : {"300/min", "20/s", "5000/h", "9/d", "10/30s"})
        EXPECT_EQ(parse_rate(rate_to_string(parse_rate(text).value())).value(), parse_rate(text).value()) << text;
    EXPECT_EQ(rate_to_string(Rate{}), "");
    EXPECT_EQ(rate_to_string(Rate{300, 1min}), "300/min");
}

TEST(Pacer, PassesAreSpacedByTheInterval) {
    Pacer p(Rate{4, 1s});   // one every 250 ms, each up to kTolerance (1 ms) early
    const auto t0 = Pacer::Clock::time_point{} + 1h;
    EXPECT_EQ(p.take(t0), Pacer::Clock::duration::zero());
    EXPECT_EQ(p.take(t0), Pacer::Clock::duration(249ms));
    EXPECT_EQ(p.take(t0 + 100ms), Pacer::Clock::duration(149ms));
    EXPECT_EQ(p.wait(t0 + 100ms), Pacer::Clock::duration(149ms));
    EXPECT_EQ(p.take(t0 + 249ms), Pacer::Clock::duration::zero());
    // The next pass is one interval after the last one's due time, not after
    // the early moment it was taken.
    EXPECT_EQ(p.take(t0 + 497ms), Pacer::Clock::duration(2ms));
    EXPECT_EQ(p.take(t0 + 499ms), Pacer::Clock::duration::zero());
    // In any window at most 1 + W / interval passes: 100 tries every 10 ms over 1 s.
    Pacer q(Rate{4, 1s});
    int passed = 0;
    for (int i = 0; i < 100; ++i) passed += q.take(t0 + i * 10ms) == Pacer::Clock::duration::zero();
    EXPECT_EQ(passed, 4);
}

TEST(Pacer, IdleTimeEarnsNoBurst) {
    Pacer p(Rate{10, 1s});
    const auto t0 = Pacer::Clock::time_point{} + 1h;
    EXPECT_EQ(p.take(t0), Pacer::Clock::duration::zero());
    // A minute of silence, then a rush: still one per 100 ms.
    EXPECT_EQ(p.take(t0 + 60s), Pacer::Clock::duration::zero());
    EXPECT_EQ(p.take(t0 + 60s), Pacer::Clock::duration(99ms));
}

TEST(Pacer, HighRatesDoNotSleepPerPass) {
    // 20,000/s: one per 50 µs. Twenty connections asking in the same
    // microsecond all pass within the millisecond of tolerance.
    Pacer p(Rate{20000, 1s});
    const auto t0 = Pacer::Clock::time_point{} + 1h;
    int passed = 0;
    for (int i = 0; i < 30; ++i) passed += p.take(t0) == Pacer::Clock::duration::zero();
    EXPECT_EQ(passed, 21);   // the pass at t0, then 20 within the next 1 ms
}

TEST(Pacer, UnlimitedNeverWaitsAndARateChangeMovesTheNextPass) {
    Pacer free;
    const auto t0 = Pacer::Clock::time_point{} + 1h;
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(free.take(t0), Pacer::Clock::duration::zero());
    Pacer p(Rate{1, 1s});
    EXPECT_EQ(p.take(t0), Pacer::Clock::duration::zero());
    p.set_rate(Rate{1, 4s});   // e.g. automation slows the site down to a quarter
    EXPECT_EQ(p.wait(t0), Pacer::Clock::duration(4s - 1ms));
    p.set_rate(Rate{});
    EXPECT_EQ(p.wait(t0), Pacer::Clock::duration::zero());
}
