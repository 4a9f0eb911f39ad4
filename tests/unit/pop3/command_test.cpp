// POP3 command line splitting and argument parsing (src/pop3/command.hpp).
#include "pop3/command.hpp"

#include <gtest/gtest.h>

using namespace ringpost::pop3;

TEST(Pop3Command, KeywordsAreCaseInsensitive) {
    EXPECT_EQ(parse_command("STAT").verb, Verb::kStat);
    EXPECT_EQ(parse_command("stat").verb, Verb::kStat);
    EXPECT_EQ(parse_command("Uidl 3").verb, Verb::kUidl);
    EXPECT_EQ(parse_command("top 1 2").verb, Verb::kTop);
    EXPECT_EQ(parse_command("STATS").verb, Verb::kUnknown);
    EXPECT_EQ(parse_command("").verb, Verb::kEmpty);
    EXPECT_EQ(parse_command("  ").verb, Verb::kEmpty);
}

TEST(Pop3Command, ArgumentsRawAndTrimmed) {
    Command c = parse_command("PASS  two  spaces ");
    EXPECT_EQ(c.verb, Verb::kPass);
    EXPECT_EQ(c.raw, " two  spaces ");   // a password keeps its blanks
    EXPECT_EQ(c.arg, "two  spaces");
    c = parse_command("LIST\t2");
    EXPECT_EQ(c.verb, Verb::kList);
    EXPECT_EQ(c.arg, "2");
    c = parse_command("NOOP");
    EXPECT_TRUE(c.raw.empty());
    EXPECT_TRUE(c.arg.empty());
}

TEST(Pop3Command, ForeignProtocolsAreRecognised) {
    EXPECT_EQ(parse_command("GET / HTTP/1.1").verb, Verb::kForbidden);
    EXPECT_EQ(parse_command("POST /x HTTP/1.0").verb, Verb::kForbidden);
    EXPECT_EQ(parse_command("Host: example.org").verb, Verb::kForbidden);
    EXPECT_EQ(parse_command("GET").verb, Verb::kUnknown);
}

TEST(Pop3Command, Numbers) {
    uint64_t n = 7;
    EXPECT_TRUE(parse_number("0", n));
    EXPECT_EQ(n, 0u);
    EXPECT_TRUE(parse_number("1234567890123456789", n));
    EXPECT_EQ(n, 1234567890123456789u);
    EXPECT_FALSE(parse_number("12345678901234567890", n));
    EXPECT_FALSE(parse_number("", n));
    EXPECT_FALSE(parse_number("+1", n));
    EXPECT_FALSE(parse_number("-1", n));
    EXPECT_FALSE(parse_number("1 ", n));
    EXPECT_FALSE(parse_number("0x1", n));
}

TEST(Pop3Command, SplitFirst) {
    std::string_view a, b;
    split_first("1 10", a, b);
    EXPECT_EQ(a, "1");
    EXPECT_EQ(b, "10");
    split_first("PLAIN   abc= ", a, b);
    EXPECT_EQ(a, "PLAIN");
    EXPECT_EQ(b, "abc=");
    split_first("PLAIN", a, b);
    EXPECT_EQ(a, "PLAIN");
    EXPECT_TRUE(b.empty());
}
