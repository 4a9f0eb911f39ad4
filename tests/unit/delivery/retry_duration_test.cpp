// util::parse_duration, the duration format the retry schedule is written in
// (the same as the configuration's).
#include <gtest/gtest.h>

#include "util/duration.hpp"

namespace ringpost::util {
namespace {

using std::chrono::seconds;

int64_t secs(std::string_view text) {
    auto r = parse_duration(text);
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? r.value().count() : -1;
}

std::string error(std::string_view text) {
    auto r = parse_duration(text);
    EXPECT_FALSE(r.ok()) << text << " parsed as " << (r.ok() ? r.value().count() : 0);
    return r.ok() ? "" : r.error().message;
}

TEST(Duration, Units) {
    EXPECT_EQ(secs("300"), 300);
    EXPECT_EQ(secs("90s"), 90);
    EXPECT_EQ(secs("5m"), 300);
    EXPECT_EQ(secs("2h"), 7200);
    EXPECT_EQ(secs("1d"), 86400);
    EXPECT_EQ(secs("0"), 0);
}

TEST(Duration, Sums) {
    EXPECT_EQ(secs("1h30m"), 5400);
    EXPECT_EQ(secs("1d2h3m4s"), 93784);
}

TEST(Duration, LimitIsTheConfigurationsUint32) {
    EXPECT_EQ(secs("4294967295"), 4294967295);
    EXPECT_EQ(error("4294967296"), "bad duration \"4294967296\": too large");
    EXPECT_EQ(error("49711d"), "bad duration \"49711d\": too large");
}

TEST(Duration, MalformedIsRejectedWithTheReason) {
    EXPECT_EQ(error(""), "bad duration \"\": empty (expected e.g. \"30s\", \"5m\", \"1h\", \"1d\")");
    EXPECT_EQ(error("5x"), "bad duration \"5x\": unknown unit 'x' (use s, m, h or d)");
    EXPECT_EQ(error("h"), "bad duration \"h\": expected a number at \"h\"");
    EXPECT_EQ(error("1h30"), "bad duration \"1h30\": the last number needs a unit (s, m, h or d)");
    EXPECT_EQ(error("-5m"), "bad duration \"-5m\": expected a number at \"-5m\"");
    EXPECT_EQ(error("5 m"), "bad duration \"5 m\": unknown unit ' ' (use s, m, h or d)");
    EXPECT_EQ(error("5M"), "bad duration \"5M\": unknown unit 'M' (use s, m, h or d)");
}

}  // namespace
}  // namespace ringpost::util
