// RFC 5322 date-time parsing (src/mail/rfc5322_date.hpp). Expected instants
// were computed independently (Python's datetime), not with the parser's
// own arithmetic.
#include "mail/rfc5322_date.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <random>
#include <string>

using namespace ringpost::mail;

namespace {

MailDate parsed(std::string_view value) {
    std::optional<MailDate> d = parse_rfc5322_date(value);
    EXPECT_TRUE(d.has_value()) << "rejected: " << value;
    return d.value_or(MailDate{-1, -1, -1});
}

void expect_date(std::string_view value, int64_t utc, int32_t days_local, int32_t zone_minutes) {
    MailDate d = parsed(value);
    EXPECT_EQ(d.utc, utc) << value;
    EXPECT_EQ(d.days_local, days_local) << value;
    EXPECT_EQ(d.zone_minutes, zone_minutes) << value;
}

}  // namespace

// The date-times of RFC 5322 Appendix A, as they appear there.
TEST(Rfc5322Date, AppendixAExamples) {
    expect_date("Fri, 21 Nov 1997 09:55:06 -0600", 880127706, 10186, -360);     // A.1.1
    expect_date("Tue, 1 Jul 2003 10:52:37 +0200", 1057049557, 12234, 120);      // A.1.2
    expect_date("Thu, 13 Feb 1969 23:32:54 -0330", -27723426, -322, -210);      // A.1.3, before 1970
    expect_date("Fri, 21 Nov 1997 10:01:10 -0600", 880128070, 10186, -360);     // A.2
    expect_date("Fri, 21 Nov 1997 11:00:00 -0600", 880131600, 10186, -360);     // A.3
    expect_date("21 Nov 97 09:55:06 GMT", 880106106, 10186, 0);                 // A.6.2
}

TEST(Rfc5322Date, AppendixAFoldsAndComments) {
    // A.5: folded over lines, no seconds, a trailing comment.
    expect_date("Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n"
                "               -0330 (Newfoundland Time)",
                -27723480, -322, -210);
    // A.6.3: obsolete CFWS inside the time of day.
    expect_date("Fri, 21 Nov 1997 09(comment):   55  :  06 -0600", 880127706, 10186, -360);
}

TEST(Rfc5322Date, CommentsAndWhitespaceAnywhere) {
    expect_date("  (sent) Fri (day) , (x) 21 (d) Nov (m) 1997 (y) 09 : 55 : 06 (t) -0600 (CST) \r\n",
                880127706, 10186, -360);
    expect_date("Fri,\t21\tNov\t1997\t09:55:06\t-0600", 880127706, 10186, -360);
    // Nested and escaped comments, as the shared CFWS skipper reads them.
    expect_date("Fri, 21 Nov 1997 09:55:06 -0600 (a (nested \\) one) comment)", 880127706, 10186, -360);
    // The obsolete grammar needs no blank between day, month and year.
    expect_date("21Nov1997 09:55:06 -0600", 880127706, 10186, -360);
    // A comment runs to the end when unclosed (the lexer is tolerant).
    expect_date("Fri, 21 Nov 1997 09:55:06 -0600 (unclosed", 880127706, 10186, -360);
}

TEST(Rfc5322Date, DayOfWeekOptionalCaseInsensitiveAndNotCrossChecked) {
    expect_date("21 Nov 1997 09:55:06 -0600", 880127706, 10186, -360);
    expect_date("fRI, 21 nOV 1997 09:55:06 -0600", 880127706, 10186, -360);
    // 21 Nov 1997 was a Friday; a wrong name still gives the written date.
    expect_date("Mon, 21 Nov 1997 09:55:06 -0600", 880127706, 10186, -360);
    for (const char* day : {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}) {
        expect_date(std::string(day) + ", 21 Nov 1997 09:55:06 -0600", 880127706, 10186, -360);
    }
}

TEST(Rfc5322Date, EveryMonthNameAnyCase) {
    const char* const names[12] = {"jan", "FEB", "Mar", "aPr", "MAY", "jun",
                                   "Jul", "aug", "SeP", "oct", "NOV", "dEC"};
    // The 1st of each month of 2001, 00:00:00 UTC.
    const int32_t first[12] = {11323, 11354, 11382, 11413, 11443, 11474,
                               11504, 11535, 11566, 11596, 11627, 11657};
    for (int m = 0; m < 12; ++m) {
        std::string value = std::string("1 ") + names[m] + " 2001 00:00:00 +0000";
        expect_date(value, int64_t{first[m]} * 86400, first[m], 0);
    }
}

TEST(Rfc5322Date, OneOrTwoDigitDayAndMissingSeconds) {
    expect_date("1 Jul 2003 10:52 +0200", 1057049520, 12234, 120);
    expect_date("01 Jul 2003 10:52 +0200", 1057049520, 12234, 120);
    expect_date("Tue, 1 Jul 2003 10:52:00 +0200", 1057049520, 12234, 120);
}

TEST(Rfc5322Date, ObsoleteTwoAndThreeDigitYears) {
    expect_date("1 Jan 00 00:00 +0000", 946684800, 10957, 0);        // 2000
    expect_date("1 Jan 49 00:00 +0000", 2493072000, 28855, 0);       // 2049
    expect_date("1 Jan 50 00:00 +0000", -631152000, -7305, 0);       // 1950
    expect_date("1 Jan 99 00:00 +0000", 915148800, 10592, 0);        // 1999
    expect_date("1 Jan 103 00:00 +0000", 1041379200, 12053, 0);      // 2003 (Y2K-era "103")
    expect_date("1 Jan 100 00:00 +0000", 946684800, 10957, 0);       // 2000
    expect_date("1 Jan 000 00:00 +0000", -2208988800, -25567, 0);    // 1900
}

TEST(Rfc5322Date, NumericZones) {
    expect_date("1 Jan 1970 00:00:00 +0000", 0, 0, 0);
    expect_date("1 Jan 1970 00:00:00 -0000", 0, 0, 0);
    // The local date is the one written, whichever side of UTC midnight.
    expect_date("1 Jan 1970 00:00:00 +0100", -3600, 0, 60);
    expect_date("31 Dec 1969 23:00:00 -0100", 0, -1, -60);
    expect_date("1 Jan 1970 00:00:00 +1400", -50400, 0, 840);
    expect_date("1 Jan 1970 00:00:00 -1200", 43200, 0, -720);
    expect_date("1 Jan 1970 00:00:00 +0545", -20700, 0, 345);
    // RFC 5322 allows hours up to 99.
    expect_date("1 Jan 1970 00:00:00 +9959", -359940, 0, 5999);
    expect_date("1 Jan 1970 00:00:00 -9959", 359940, 0, -5999);
}

TEST(Rfc5322Date, ObsoleteAlphabeticZones) {
    struct Case {
        const char* zone;
        int32_t minutes;
    };
    const Case cases[] = {
        {"UT", 0},     {"GMT", 0},    {"gmt", 0},    {"EST", -300}, {"EDT", -240}, {"CST", -360},
        {"CDT", -300}, {"MST", -420}, {"MDT", -360}, {"PST", -480}, {"pdt", -420},
    };
    for (const Case& c : cases) {
        // Noon on 1 Jan 1970 local: UTC is noon minus the offset.
        expect_date(std::string("1 Jan 1970 12:00:00 ") + c.zone, 43200 - int64_t{c.minutes} * 60, 0, c.minutes);
    }
}

TEST(Rfc5322Date, MilitaryAndUnknownZonesAreMinusZero) {
    for (char z = 'A'; z <= 'Z'; ++z) {
        if (z == 'J') continue;
        expect_date(std::string("1 Jan 1970 12:00:00 ") + z, 43200, 0, 0);
        expect_date(std::string("1 Jan 1970 12:00:00 ") + char(z - 'A' + 'a'), 43200, 0, 0);
    }
    // RFC 5322 4.3: other names SHOULD be taken as "-0000".
    expect_date("1 Jan 1970 12:00:00 CET", 43200, 0, 0);
    expect_date("1 Jan 1970 12:00:00 CEST", 43200, 0, 0);
    expect_date("1 Jan 1970 12:00:00 AKDST", 43200, 0, 0);
}

TEST(Rfc5322Date, LeapYearsAndLeapSecond) {
    expect_date("29 Feb 2000 12:00:00 +0000", 951825600, 11016, 0);     // divisible by 400
    expect_date("29 Feb 2024 00:00:00 +0000", 1709164800, 19782, 0);
    expect_date("29 Feb 1904 00:00:00 +0000", -2077747200, -24048, 0);
    // 23:59:60 is the instant after 23:59:59, still on the written date.
    expect_date("31 Dec 2016 23:59:60 +0000", 1483228800, 17166, 0);
    expect_date("31 Dec 2016 23:59:59 +0000", 1483228799, 17166, 0);
}

TEST(Rfc5322Date, EdgeInstants) {
    expect_date("Thu, 1 Jan 1970 00:00:00 +0000", 0, 0, 0);
    expect_date("Wed, 31 Dec 1969 23:59:59 +0000", -1, -1, 0);
    expect_date("Tue, 19 Jan 2038 03:14:07 +0000", 2147483647, 24855, 0);
    expect_date("Tue, 19 Jan 2038 03:14:08 +0000", 2147483648, 24855, 0);   // past 32-bit time_t
    expect_date("Fri, 31 Dec 9999 23:59:59 +0000", 253402300799, 2932896, 0);
    expect_date("Mon, 1 Jan 1900 00:00:00 +0000", -2208988800, -25567, 0);
    expect_date("1 Jan 2106 00:00:00 +0000", 4291747200, 49673, 0);         // past 32-bit unsigned
}

// Every day from 1900 to 2100 is one after the day before, independent of
// the parser's formula; the month lengths here are the test's own.
TEST(Rfc5322Date, ConsecutiveDaysAcrossTwoCenturies) {
    static const char* const kNames[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int32_t expected = -25567;   // 1 Jan 1900
    int checked = 0;
    for (int y = 1900; y <= 2100; ++y) {
        const bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
        const int lengths[12] = {31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        for (int m = 0; m < 12; ++m) {
            for (int d = 1; d <= lengths[m]; ++d) {
                std::string value = std::to_string(d) + " " + kNames[m] + " " + std::to_string(y) + " 06:00 -0600";
                std::optional<MailDate> got = parse_rfc5322_date(value);
                ASSERT_TRUE(got.has_value()) << value;
                ASSERT_EQ(got->days_local, expected) << value;
                ASSERT_EQ(got->utc, int64_t{expected} * 86400 + 12 * 3600) << value;
                ++expected;
                ++checked;
            }
            // The day after the month's last never parses.
            std::string past = std::to_string(lengths[m] + 1) + " " + kNames[m] + " " + std::to_string(y) + " 06:00 -0600";
            ASSERT_FALSE(parse_rfc5322_date(past).has_value()) << past;
        }
    }
    EXPECT_EQ(checked, 73414);   // 201 years, 49 of them leap years
}

TEST(Rfc5322Date, RejectsGarbage) {
    const char* const garbage[] = {
        "",
        "   ",
        "(only a comment)",
        "garbage",
        "Fri, 21 Nov 1997",                              // no time
        "Fri, 21 Nov 1997 09:55:06",                     // no zone
        "Fri, 21 Nov 1997 09:55:06 -0600 junk",          // trailing text
        "Fri, 21 Nov 1997 09:55:06 -0600 CST",           // zone name after a numeric zone
        "Fri, 21 Nov 1997 09:55:06 -0600,",
        "Fri 21 Nov 1997 09:55:06 -0600",                // day name without its comma
        "Friday, 21 Nov 1997 09:55:06 -0600",            // full day name
        "Fro, 21 Nov 1997 09:55:06 -0600",
        ", 21 Nov 1997 09:55:06 -0600",
        "Fri, 32 Nov 1997 09:55:06 -0600",               // day 32
        "Fri, 31 Nov 1997 09:55:06 -0600",               // November has 30
        "Fri, 0 Nov 1997 09:55:06 -0600",
        "Fri, 00 Nov 1997 09:55:06 -0600",
        "Fri, 021 Nov 1997 09:55:06 -0600",              // three-digit day
        "29 Feb 1900 00:00:00 +0000",                    // 1900 was no leap year
        "29 Feb 2100 00:00:00 +0000",
        "29 Feb 2023 00:00:00 +0000",
        "30 Feb 2000 00:00:00 +0000",
        "21 Foo 1997 09:55:06 -0600",                    // bad month
        "21 November 1997 09:55:06 -0600",
        "21 No 1997 09:55:06 -0600",
        "21 11 1997 09:55:06 -0600",
        "Nov 21 1997 09:55:06 -0600",                    // month first
        "Fri Nov 21 09:55:06 1997",                      // asctime
        "1997-11-21T09:55:06-06:00",                     // ISO 8601
        "21 Nov 7 09:55:06 -0600",                       // one-digit year
        "21 Nov 1899 09:55:06 -0600",                    // before 1900
        "21 Nov 10000 09:55:06 -0600",
        "21 Nov 99999999999999999999 09:55:06 -0600",    // would overflow
        "21 Nov 0000001997 09:55:06 -0600",
        "21 Nov 1997 24:00:00 +0000",                    // hour 24
        "21 Nov 1997 99:00:00 +0000",
        "21 Nov 1997 23:60:00 +0000",                    // minute 60
        "21 Nov 1997 23:59:61 +0000",                    // second 61
        "21 Nov 1997 9:55:06 -0600",                     // one-digit hour
        "21 Nov 1997 09:5:06 -0600",
        "21 Nov 1997 09:55:6 -0600",
        "21 Nov 1997 009:55:06 -0600",
        "21 Nov 1997 09:55:06:07 -0600",
        "21 Nov 1997 09-55-06 -0600",
        "21 Nov 1997 09 -0600",                          // hour only
        "21 Nov 1997 09: -0600",
        "21 Nov 1997 09:55: -0600",
        "21 Nov 199709:55:06 -0600",                     // year runs into the hour
        "21 Nov 1997 09:55:06 +060",                     // three-digit zone
        "21 Nov 1997 09:55:06 +06000",
        "21 Nov 1997 09:55:06 +06",
        "21 Nov 1997 09:55:06 +0660",                    // zone minutes 60
        "21 Nov 1997 09:55:06 + 0600",
        "21 Nov 1997 09:55:06 +-0600",
        "21 Nov 1997 09:55:06 06:00",
        "21 Nov 1997 09:55:06 J",                        // no military zone J
        "21 Nov 1997 09:55:06 XX",                       // two letters, not UT
        "21 Nov 1997 09:55:06 TOOLONG",
        "21 Nov 1997 09:55:06 GMT+1",
        "21 Nov 1997 09:55:06 EST5EDT",
        "Fri, 21 Nov 1997 09:55:06 -0600 \xC3\xBC",
        "\xFF\xFE 21 Nov 1997 09:55:06 -0600",
    };
    for (const char* g : garbage) {
        EXPECT_FALSE(parse_rfc5322_date(g).has_value()) << "accepted: " << g;
    }
    // A NUL in the middle is not whitespace.
    EXPECT_FALSE(parse_rfc5322_date(std::string_view("21 Nov 1997\0 09:55:06 -0600", 27)).has_value());
}

// Mutations of a valid date never crash, and whatever still parses is
// self-consistent: the written date is the UTC instant moved into its zone.
TEST(Rfc5322Date, MutationsStayConsistent) {
    const std::string base = "Fri, 21 Nov 1997 09:55:06 -0600 (CST)";
    const std::string_view alphabet = " \t\r\n(),:+-\\0123456789ADFGJMNSTUZaeovy\xFF";
    std::mt19937 rng(5322);
    int parsed_count = 0;
    for (int n = 0; n < 20000; ++n) {
        std::string s = base;
        int edits = 1 + static_cast<int>(rng() % 3);
        for (int e = 0; e < edits && !s.empty(); ++e) {
            size_t at = rng() % s.size();
            char c = alphabet[rng() % alphabet.size()];
            switch (rng() % 3) {
                case 0: s[at] = c; break;
                case 1: s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), c); break;
                default: s.erase(at, 1); break;
            }
        }
        std::optional<MailDate> d = parse_rfc5322_date(s);
        if (!d) continue;
        ++parsed_count;
        int64_t local = d->utc + int64_t{d->zone_minutes} * 60;
        int64_t floor_days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
        // A leap second may land on the next day's 00:00:00.
        EXPECT_TRUE(floor_days == d->days_local || floor_days == d->days_local + 1) << s;
        EXPECT_GE(d->days_local, -25567) << s;     // 1 Jan 1900
        EXPECT_LE(d->days_local, 2932896) << s;    // 31 Dec 9999
    }
    // Many single edits (in a comment, a digit for a digit) keep a valid date.
    EXPECT_GT(parsed_count, 1000);
}
