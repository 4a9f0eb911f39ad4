#include "util/log.hpp"

#include <gtest/gtest.h>

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
