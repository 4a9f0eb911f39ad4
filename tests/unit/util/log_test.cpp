#include "util/log.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "util/log_rate_limit.hpp"

using namespace ringpost;

TEST(Log, FormatsKeyValuePairs) {
    std::string line = log::format_line(log::Level::kInfo, "accepted", {{"qid", "0001"}, {"size", 4096}});
    EXPECT_NE(line.find(" level=info event=accepted qid=0001 size=4096\n"), std::string::npos) << line;
    EXPECT_EQ(line.rfind("ts=", 0), 0u);
}

TEST(Log, QuotesAndEscapesValues) {
    std::string line = log::format_line(log::Level::kWarn, "x", {{"from", "a b\"c\r\n"}, {"empty", ""}});
    EXPECT_NE(line.find("from=\"a b\\\"c\\x0d\\x0a\""), std::string::npos) << line;
    EXPECT_NE(line.find("empty=\"\""), std::string::npos) << line;
}

TEST(Log, ParsesLevels) {
    log::Level l{};
    EXPECT_TRUE(log::parse_level("debug", l));
    EXPECT_EQ(l, log::Level::kDebug);
    EXPECT_FALSE(log::parse_level("verbose", l));
}

TEST(LogRateLimit, OneLinePerIntervalCountingTheOthers) {
    log::RateLimit limit(std::chrono::milliseconds(200));
    uint64_t suppressed = 99;
    ASSERT_TRUE(limit.allow(suppressed));
    EXPECT_EQ(suppressed, 0u);
    int refused = 0;
    for (int i = 0; i < 5; ++i) refused += limit.allow(suppressed) ? 0 : 1;
    EXPECT_EQ(refused, 5);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    ASSERT_TRUE(limit.allow(suppressed));
    EXPECT_EQ(suppressed, 5u);
    EXPECT_FALSE(limit.allow(suppressed));
}
