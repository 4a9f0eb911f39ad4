// RetrySchedule: parsing, the repeating last delay, jitter bounds, expiry.
#include <gtest/gtest.h>

#include "delivery/retry.hpp"

namespace ringpost::delivery {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr int64_t kScheduleNow = 1795514400;

JitterSource fixed(double u) {
    return [u] { return u; };
}

RetrySchedule parse_ok(std::string_view text) {
    auto r = RetrySchedule::parse(text);
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? r.value() : RetrySchedule();
}

std::string parse_error(std::string_view text) {
    auto r = RetrySchedule::parse(text);
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? "" : r.error().message;
}

TEST(RetrySchedule, DefaultIsPostfixLikeDoubling) {
    const RetrySchedule s;
    EXPECT_EQ(s.delays(), (std::vector<seconds>{minutes(5), minutes(10), minutes(20), minutes(40), hours(1)}));
}

TEST(RetrySchedule, ParsesCommaAndBlankSeparatedLists) {
    EXPECT_EQ(parse_ok("5m,10m,20m,40m,1h").delays(),
              (std::vector<seconds>{minutes(5), minutes(10), minutes(20), minutes(40), hours(1)}));
    EXPECT_EQ(parse_ok(" 30s, 1h30m ,1d ").delays(), (std::vector<seconds>{seconds(30), minutes(90), hours(24)}));
    EXPECT_EQ(parse_ok("90 2m").delays(), (std::vector<seconds>{seconds(90), minutes(2)}));
    auto v = RetrySchedule::parse(std::vector<std::string>{"1m", "2m"});
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->delays(), (std::vector<seconds>{minutes(1), minutes(2)}));
}

TEST(RetrySchedule, LastDelayRepeats) {
    const auto s = parse_ok("5m,10m,1h");
    EXPECT_EQ(s.delay(1), minutes(5));
    EXPECT_EQ(s.delay(2), minutes(10));
    EXPECT_EQ(s.delay(3), hours(1));
    EXPECT_EQ(s.delay(4), hours(1));
    EXPECT_EQ(s.delay(1000), hours(1));
    EXPECT_EQ(s.delay(0), minutes(5));   // treated as the first
}

TEST(RetrySchedule, NextAttemptWithoutJitterIsTheDelay) {
    const auto s = parse_ok("5m,10m");
    EXPECT_EQ(s.next_attempt(1, kScheduleNow, fixed(0.5)), kScheduleNow + 300);
    EXPECT_EQ(s.next_attempt(2, kScheduleNow, fixed(0.5)), kScheduleNow + 600);
    EXPECT_EQ(s.next_attempt(9, kScheduleNow, fixed(0.5)), kScheduleNow + 600);
}

TEST(RetrySchedule, NothingTriedYetMeansNow) {
    EXPECT_EQ(RetrySchedule().next_attempt(0, kScheduleNow, fixed(0.99)), kScheduleNow);
}

TEST(RetrySchedule, JitterStaysWithinTenPercent) {
    const auto s = parse_ok("1000s");
    EXPECT_EQ(s.next_attempt(1, kScheduleNow, fixed(0.0)), kScheduleNow + 900);
    EXPECT_EQ(s.next_attempt(1, kScheduleNow, fixed(1.0)), kScheduleNow + 1100);
    EXPECT_EQ(s.next_attempt(1, kScheduleNow, fixed(0.25)), kScheduleNow + 950);
    // A broken source is clamped, never beyond +-10%.
    EXPECT_EQ(s.next_attempt(1, kScheduleNow, fixed(-7.0)), kScheduleNow + 900);
    EXPECT_EQ(s.next_attempt(1, kScheduleNow, fixed(42.0)), kScheduleNow + 1100);
}

TEST(RetrySchedule, DefaultJitterSourceIsInRangeAndVaries) {
    const auto s = parse_ok("1000s");
    const JitterSource rng = default_jitter_source();
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (int i = 0; i < 2000; ++i) {
        const int64_t t = s.next_attempt(1, kScheduleNow, rng) - kScheduleNow;
        ASSERT_GE(t, 900);
        ASSERT_LE(t, 1100);
        lo = std::min(lo, t);
        hi = std::max(hi, t);
    }
    // 2000 draws over 201 values: both ends of the range get close.
    EXPECT_LT(lo, 920);
    EXPECT_GT(hi, 1080);
}

TEST(RetrySchedule, ShortDelaysStayAtLeastOneSecond) {
    EXPECT_EQ(parse_ok("1s").next_attempt(1, kScheduleNow, fixed(0.0)), kScheduleNow + 1);
}

TEST(RetrySchedule, BadSchedulesAreRejectedWithTheItem) {
    EXPECT_EQ(parse_error(""), "retry schedule: empty (expected e.g. \"5m, 10m, 20m, 40m, 1h\")");
    EXPECT_EQ(parse_error("  "), "retry schedule: empty (expected e.g. \"5m, 10m, 20m, 40m, 1h\")");
    EXPECT_EQ(parse_error("5m,10x"),
              "retry schedule: item 2: bad duration \"10x\": unknown unit 'x' (use s, m, h or d)");
    EXPECT_EQ(parse_error("5m,0s"), "retry schedule: item 2: \"0s\": the delay must be positive");
    EXPECT_EQ(parse_error("5m,,10m"), "retry schedule: empty item between commas in \"5m,,10m\"");
    EXPECT_EQ(parse_error("5m,"), "retry schedule: empty item between commas in \"5m,\"");
    EXPECT_EQ(parse_error("m"), "retry schedule: item 1: bad duration \"m\": expected a number at \"m\"");
}

TEST(RetryExpiry, ExpiresAtTheLifetime) {
    const seconds life = kDefaultMaxQueueLifetime;
    EXPECT_EQ(life, hours(5 * 24));
    EXPECT_FALSE(expired(kScheduleNow, kScheduleNow, life));
    EXPECT_FALSE(expired(kScheduleNow, kScheduleNow + life.count() - 1, life));
    EXPECT_TRUE(expired(kScheduleNow, kScheduleNow + life.count(), life));
    EXPECT_TRUE(expired(kScheduleNow, kScheduleNow + life.count() + 3600, life));
    EXPECT_EQ(retry_until(kScheduleNow, life), kScheduleNow + 5 * 86400);
}

TEST(RetryExpiry, ClockGoingBackwardsDoesNotExpire) {
    EXPECT_FALSE(expired(kScheduleNow, kScheduleNow - 3600, hours(1)));
}

}  // namespace
}  // namespace ringpost::delivery
