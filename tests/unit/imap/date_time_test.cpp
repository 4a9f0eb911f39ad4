// Tests for IMAP dates (src/imap/date_time.hpp).
#include "imap/date_time.hpp"

#include <gtest/gtest.h>

using namespace ringpost::imap;

TEST(DateTime, ParsesDates) {
    auto d = parse_date("1-Feb-1994");
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, (Date{1994, 2, 1}));
    EXPECT_EQ(parse_date("01-feb-1994"), (Date{1994, 2, 1}));
    EXPECT_EQ(parse_date("31-DEC-2099"), (Date{2099, 12, 31}));
    EXPECT_EQ(parse_date("29-Feb-2024"), (Date{2024, 2, 29}));
    EXPECT_EQ(parse_date("29-Feb-2000"), (Date{2000, 2, 29}));
    for (const char* bad : {"", "1", "1-Feb", "1-Feb-94", "001-Feb-1994", "1-Fev-1994", "1-February-1994",
                            "0-Feb-1994", "30-Feb-2024", "29-Feb-1900", "29-Feb-2023", "31-Apr-2024", "1-Feb-1994x",
                            " 1-Feb-1994", "1 Feb 1994", "1-Feb-0000"}) {
        EXPECT_FALSE(parse_date(bad)) << bad;
    }
}

TEST(DateTime, DaysAndBack) {
    EXPECT_EQ((Date{1970, 1, 1}).days(), 0);
    EXPECT_EQ((Date{1969, 12, 31}).days(), -1);
    EXPECT_EQ((Date{2000, 3, 1}).days(), 11017);
    for (int64_t d = -800000; d <= 800000; d += 997) EXPECT_EQ(date_from_days(d).days(), d);
    EXPECT_LT((Date{2024, 1, 31}), (Date{2024, 2, 1}));
}

TEST(DateTime, ParsesDateTimes) {
    auto dt = parse_date_time("17-Jul-1996 02:44:25 -0700");
    ASSERT_TRUE(dt);
    EXPECT_EQ(dt->unix_time, 837596665);
    EXPECT_EQ(dt->zone_minutes, -420);
    dt = parse_date_time(" 7-Jul-2023 10:00:00 +0000");
    ASSERT_TRUE(dt);
    EXPECT_EQ(dt->unix_time, 1688724000);
    EXPECT_EQ(parse_date_time("07-Jul-2023 10:00:00 +0000")->unix_time, 1688724000);
    EXPECT_EQ(parse_date_time("7-Jul-2023 12:00:00 +0200")->unix_time, 1688724000);
    EXPECT_EQ(parse_date_time("7-Jul-2023 05:30:00 -0430")->unix_time, 1688724000);
    EXPECT_EQ(parse_date_time("31-Dec-1969 23:59:59 +0000")->unix_time, -1);
    EXPECT_EQ(parse_date_time("1-Jan-1970 00:00:00 +0000")->unix_time, 0);
    for (const char* bad : {"", "17-Jul-1996", "17-Jul-1996 02:44:25", "17-Jul-1996 02:44 -0700",
                            "17-Jul-1996 24:00:00 -0700", "17-Jul-1996 02:60:00 -0700", "17-Jul-1996 02:44:25 0700",
                            "17-Jul-1996 02:44:25 -07", "17-Jul-1996 02:44:25 -0760", "17-Jul-1996  02:44:25 -0700",
                            "17-Jul-1996 02:44:25 -0700 ", "  7-Jul-1996 02:44:25 -0700", "32-Jul-1996 02:44:25 -0700"}) {
        EXPECT_FALSE(parse_date_time(bad)) << bad;
    }
}

TEST(DateTime, FormatsInternalDate) {
    std::string out;
    append_date_time(out, 837596665, -420);
    EXPECT_EQ(out, "\"17-Jul-1996 02:44:25 -0700\"");
    out.clear();
    append_date_time(out, 1688724000, 0);
    EXPECT_EQ(out, "\"07-Jul-2023 10:00:00 +0000\"");
    out.clear();
    append_date_time(out, 1709249400, 60);   // 23:30 UTC is the next day in +0100
    EXPECT_EQ(out, "\"01-Mar-2024 00:30:00 +0100\"");
    out.clear();
    append_date_time(out, -1, 0);
    EXPECT_EQ(out, "\"31-Dec-1969 23:59:59 +0000\"");
    out.clear();
    append_date_time(out, 0, -330);
    EXPECT_EQ(out, "\"31-Dec-1969 18:30:00 -0530\"");
    // What we format, we parse back to the same instant and zone.
    for (int64_t t : {int64_t(0), int64_t(837596665), int64_t(1709249400), int64_t(4102444799)}) {
        for (int zone : {-720, -420, 0, 60, 330, 840}) {
            out.clear();
            append_date_time(out, t, zone);
            auto back = parse_date_time(std::string_view(out).substr(1, out.size() - 2));
            ASSERT_TRUE(back) << out;
            EXPECT_EQ(back->unix_time, t) << out;
            EXPECT_EQ(back->zone_minutes, zone) << out;
        }
    }
}

TEST(DateTime, DateOfAnInstant) {
    EXPECT_EQ(date_of(1709249400, 0), (Date{2024, 2, 29}));
    EXPECT_EQ(date_of(1709249400, 60), (Date{2024, 3, 1}));
    EXPECT_EQ(date_of(-1, 0), (Date{1969, 12, 31}));
    EXPECT_EQ(date_of(0, -1), (Date{1969, 12, 31}));
}
