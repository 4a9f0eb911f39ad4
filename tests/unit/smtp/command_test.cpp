// Tests for the SMTP command line parser (src/smtp/command.hpp).
#include "smtp/command.hpp"

#include <gtest/gtest.h>

using namespace ringpost::smtp;

TEST(Command, RecognisesVerbsCaseInsensitively) {
    struct Case {
        const char* line;
        Verb verb;
    } cases[] = {
        {"EHLO x", Verb::kEhlo},   {"ehlo x", Verb::kEhlo},        {"HeLo x", Verb::kHelo},
        {"MAIL FROM:<>", Verb::kMail}, {"rcpt TO:<a@b>", Verb::kRcpt}, {"DATA", Verb::kData},
        {"bdat 10 LAST", Verb::kBdat}, {"RSET", Verb::kRset},      {"noop", Verb::kNoop},
        {"QUIT", Verb::kQuit},     {"VRFY x", Verb::kVrfy},        {"help", Verb::kHelp},
        {"STARTTLS", Verb::kStarttls}, {"auth PLAIN", Verb::kAuth}, {"XYZZ", Verb::kUnknown},
        {"MAILX FROM:<>", Verb::kUnknown}, {"MAI", Verb::kUnknown}, {"", Verb::kEmpty},
        {"   ", Verb::kEmpty},
    };
    for (const Case& c : cases) EXPECT_EQ(parse_command(c.line).verb, c.verb) << c.line;
}

TEST(Command, NonLettersDoNotFoldIntoLetters) {
    // '@' | 0x20 == '`': the packed compare must not confuse them.
    EXPECT_EQ(parse_command("M@IL FROM:<>").verb, Verb::kUnknown);
    EXPECT_EQ(parse_command("D\x01TA").verb, Verb::kUnknown);
}

TEST(Command, SplitsArgumentAndTrimsBlanks) {
    Command c = parse_command("MAIL   FROM:<a@b> SIZE=1  \t ");
    EXPECT_EQ(c.verb, Verb::kMail);
    EXPECT_EQ(c.name, "MAIL");
    EXPECT_EQ(c.arg, "FROM:<a@b> SIZE=1");
    c = parse_command("EHLO\tclient.example");
    EXPECT_EQ(c.verb, Verb::kEhlo);
    EXPECT_EQ(c.arg, "client.example");
    c = parse_command("DATA");
    EXPECT_TRUE(c.arg.empty());
}

TEST(Command, HttpAndHeaderLinesAreForbidden) {
    EXPECT_EQ(parse_command("GET / HTTP/1.1").verb, Verb::kForbidden);
    EXPECT_EQ(parse_command("POST /x HTTP/1.0").verb, Verb::kForbidden);
    EXPECT_EQ(parse_command("CONNECT host:25 HTTP/1.1").verb, Verb::kForbidden);
    EXPECT_EQ(parse_command("get /").verb, Verb::kForbidden);
    EXPECT_EQ(parse_command("Received: from x by y").verb, Verb::kForbidden);
    EXPECT_EQ(parse_command("Subject:hello").verb, Verb::kForbidden);
    EXPECT_EQ(parse_command("From: a@b").verb, Verb::kForbidden);
    // A colon in the argument is normal.
    EXPECT_EQ(parse_command("MAIL FROM:<a@b>").verb, Verb::kMail);
    EXPECT_EQ(parse_command("GETS x").verb, Verb::kUnknown);
}

TEST(Command, ParsesBdatArguments) {
    uint64_t n = 99;
    bool last = true;
    ASSERT_TRUE(parse_bdat_args("1000", n, last));
    EXPECT_EQ(n, 1000u);
    EXPECT_FALSE(last);
    ASSERT_TRUE(parse_bdat_args("0 LAST", n, last));
    EXPECT_EQ(n, 0u);
    EXPECT_TRUE(last);
    ASSERT_TRUE(parse_bdat_args("7  last", n, last));
    EXPECT_EQ(n, 7u);
    EXPECT_TRUE(last);
    ASSERT_TRUE(parse_bdat_args("18446744073709551615", n, last));
    EXPECT_EQ(n, UINT64_MAX);
    EXPECT_FALSE(parse_bdat_args("18446744073709551616", n, last));
    EXPECT_FALSE(parse_bdat_args("", n, last));
    EXPECT_FALSE(parse_bdat_args("LAST", n, last));
    EXPECT_FALSE(parse_bdat_args("-1", n, last));
    EXPECT_FALSE(parse_bdat_args("12x", n, last));
    EXPECT_FALSE(parse_bdat_args("12 FIRST", n, last));
    EXPECT_FALSE(parse_bdat_args("12 LAST x", n, last));
}

TEST(Command, IEquals) {
    EXPECT_TRUE(iequals("Postmaster", "POSTMASTER"));
    EXPECT_FALSE(iequals("postmaste", "postmaster"));
    EXPECT_FALSE(iequals("[", "{"));
}
