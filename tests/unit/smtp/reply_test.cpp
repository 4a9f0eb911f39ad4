// Tests for SMTP reply formatting (src/smtp/reply.hpp).
#include "smtp/reply.hpp"

#include <gtest/gtest.h>

using namespace ringpost::smtp;

TEST(Reply, SingleLineWithEnhancedCode) {
    std::string out;
    append_reply(out, 250, "2.1.0", "Ok");
    EXPECT_EQ(out, "250 2.1.0 Ok\r\n");
    append_reply(out, 501, "5.5.4", {"Unsupported option: ", "FOO=1"});
    EXPECT_EQ(out, "250 2.1.0 Ok\r\n501 5.5.4 Unsupported option: FOO=1\r\n");
}

TEST(Reply, WithoutEnhancedCode) {
    std::string out;
    append_reply(out, 354, {}, "End data with <CR><LF>.<CR><LF>");
    EXPECT_EQ(out, "354 End data with <CR><LF>.<CR><LF>\r\n");
}

TEST(Reply, FromParserReply) {
    std::string out;
    append_reply(out, Reply{555, "5.5.4", "Unsupported option: ", "X=y"});
    EXPECT_EQ(out, "555 5.5.4 Unsupported option: X=y\r\n");
}

TEST(Reply, ControlBytesFromClientAreNeutralised) {
    std::string out;
    append_reply(out, 501, "5.5.4", {"Bad: ", std::string_view("a\rb\nc\0d", 7)});
    EXPECT_EQ(out, "501 5.5.4 Bad: a?b?c?d\r\n");
}

TEST(Reply, Multiline) {
    std::string out = "prefix";
    MultilineReply r(out, 250);
    r.add("mx.example");
    r.add({"SIZE ", Decimal(1024)});
    r.add("PIPELINING");
    r.finish();
    EXPECT_EQ(out, "prefix250-mx.example\r\n250-SIZE 1024\r\n250 PIPELINING\r\n");
}

TEST(Reply, MultilineWithOneLine) {
    std::string out;
    MultilineReply r(out, 214);
    r.add("only");
    r.finish();
    EXPECT_EQ(out, "214 only\r\n");
}

TEST(Reply, Decimal) {
    EXPECT_EQ(Decimal(0).view(), "0");
    EXPECT_EQ(Decimal(26214400).view(), "26214400");
    EXPECT_EQ(Decimal(UINT64_MAX).view(), "18446744073709551615");
}
