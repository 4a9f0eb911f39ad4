// Reply parser and EHLO extension parsing of the delivery client:
// multi-line replies, replies split at every byte, enhanced status codes,
// and malformed input (garbage, mixed codes, overlong lines).
#include <gtest/gtest.h>

#include <string>

#include "delivery/client_extensions.hpp"
#include "delivery/client_reply.hpp"

using namespace ringpost::delivery;

namespace {

// Feeds `text` whole; expects exactly one reply using all of it.
ServerReply parse_one(std::string_view text) {
    ReplyParser p;
    size_t used = 0;
    EXPECT_EQ(p.feed(text, used), ReplyParser::Status::kReply) << p.error();
    EXPECT_EQ(used, text.size());
    return p.take();
}

ReplyParser::Status parse_status(std::string_view text) {
    ReplyParser p;
    size_t used = 0;
    auto st = ReplyParser::Status::kNeedMore;
    while (!text.empty() && st == ReplyParser::Status::kNeedMore) {
        st = p.feed(text, used);
        text.remove_prefix(used);
    }
    return st;
}

constexpr std::string_view kEhlo =
    "250-mx.example.org Hello\r\n"
    "250-PIPELINING\r\n"
    "250-SIZE 10240000\r\n"
    "250-8BITMIME\r\n"
    "250-smtputf8\r\n"
    "250-CHUNKING\r\n"
    "250-BINARYMIME\r\n"
    "250-DSN\r\n"
    "250-ENHANCEDSTATUSCODES\r\n"
    "250-AUTH PLAIN LOGIN\r\n"
    "250 STARTTLS\r\n";

}  // namespace

TEST(ClientReply, SingleLineWithEnhancedCode) {
    ServerReply r = parse_one("550 5.1.1 <bob@example.org>: user unknown\r\n");
    EXPECT_EQ(r.code, 550);
    EXPECT_EQ(r.enhanced, "5.1.1");
    ASSERT_EQ(r.lines.size(), 1u);
    EXPECT_EQ(r.lines[0], "<bob@example.org>: user unknown");
    EXPECT_EQ(r.to_string(), "550 5.1.1 <bob@example.org>: user unknown");
}

TEST(ClientReply, MultiLineStripsRepeatedEnhancedCode) {
    ServerReply r = parse_one("452-4.5.3 too many\r\n452 4.5.3 recipients\r\n");
    EXPECT_EQ(r.code, 452);
    EXPECT_EQ(r.enhanced, "4.5.3");
    ASSERT_EQ(r.lines.size(), 2u);
    EXPECT_EQ(r.lines[0], "too many");
    EXPECT_EQ(r.lines[1], "recipients");
}

TEST(ClientReply, EnhancedCodeOnlyWhenClassMatches) {
    // "2.0.0" after a 550 is text, not a status code (its class differs).
    ServerReply r = parse_one("550 2.0.0 odd\r\n");
    EXPECT_EQ(r.enhanced, "");
    EXPECT_EQ(r.lines[0], "2.0.0 odd");
    EXPECT_EQ(parse_one("250 2.0.0\r\n").enhanced, "2.0.0");
    EXPECT_EQ(parse_one("250 2.1.5x ok\r\n").enhanced, "");
    EXPECT_EQ(parse_one("250 2.1000.5 ok\r\n").enhanced, "");
}

TEST(ClientReply, BareCodeAndBareLf) {
    ServerReply r = parse_one("250\r\n");
    EXPECT_EQ(r.code, 250);
    ASSERT_EQ(r.lines.size(), 1u);
    EXPECT_EQ(r.lines[0], "");
    r = parse_one("220-a\n220 b\n");
    EXPECT_EQ(r.code, 220);
    ASSERT_EQ(r.lines.size(), 2u);
    EXPECT_EQ(r.lines[1], "b");
}

TEST(ClientReply, SplitAtEveryByte) {
    // The same reply sequence, split into two feeds at each position, must
    // give the same replies (the parser keeps partial lines itself).
    const std::string text = std::string(kEhlo) + "250 2.1.0 Ok\r\n";
    for (size_t cut = 0; cut <= text.size(); ++cut) {
        ReplyParser p;
        std::vector<ServerReply> got;
        for (std::string_view part : {std::string_view(text).substr(0, cut), std::string_view(text).substr(cut)}) {
            while (!part.empty()) {
                size_t used = 0;
                auto st = p.feed(part, used);
                ASSERT_NE(st, ReplyParser::Status::kError) << p.error();
                part.remove_prefix(used);
                if (st == ReplyParser::Status::kReply) got.push_back(p.take());
            }
        }
        ASSERT_EQ(got.size(), 2u) << "cut at " << cut;
        EXPECT_EQ(got[0].lines.size(), 11u);
        EXPECT_EQ(got[0].lines[2], "SIZE 10240000");
        EXPECT_EQ(got[1].enhanced, "2.1.0");
        EXPECT_EQ(got[1].lines[0], "Ok");
    }
}

TEST(ClientReply, ByteByByte) {
    const std::string text = "354 End data with <CR><LF>.<CR><LF>\r\n";
    ReplyParser p;
    for (size_t i = 0; i < text.size(); ++i) {
        size_t used = 0;
        auto st = p.feed(std::string_view(text).substr(i, 1), used);
        EXPECT_EQ(used, 1u);
        EXPECT_EQ(st, i + 1 == text.size() ? ReplyParser::Status::kReply : ReplyParser::Status::kNeedMore);
        EXPECT_EQ(p.in_reply(), i + 1 < text.size());
    }
    EXPECT_EQ(p.take().code, 354);
}

TEST(ClientReply, StopsAfterOneReply) {
    ReplyParser p;
    std::string_view text = "250 a\r\n251 b\r\n";
    size_t used = 0;
    ASSERT_EQ(p.feed(text, used), ReplyParser::Status::kReply);
    EXPECT_EQ(used, 7u);
    EXPECT_EQ(p.take().code, 250);
    ASSERT_EQ(p.feed(text.substr(used), used), ReplyParser::Status::kReply);
    EXPECT_EQ(p.take().code, 251);
}

TEST(ClientReply, GarbageIsAProtocolError) {
    EXPECT_EQ(parse_status("HTTP/1.1 400 Bad Request\r\n"), ReplyParser::Status::kError);
    EXPECT_EQ(parse_status("25\r\n"), ReplyParser::Status::kError);
    EXPECT_EQ(parse_status("250x\r\n"), ReplyParser::Status::kError);
    EXPECT_EQ(parse_status("150 class 1 does not exist in SMTP\r\n"), ReplyParser::Status::kError);
    EXPECT_EQ(parse_status("650 nor class 6\r\n"), ReplyParser::Status::kError);
    EXPECT_EQ(parse_status("\r\n"), ReplyParser::Status::kError);
}

TEST(ClientReply, CodeMustNotChangeWithinReply) {
    EXPECT_EQ(parse_status("250-a\r\n550 b\r\n"), ReplyParser::Status::kError);
}

TEST(ClientReply, LineLengthAndLineCountAreBounded) {
    std::string long_line = "250 " + std::string(ReplyParser::kMaxLine, 'x') + "\r\n";
    EXPECT_EQ(parse_status(long_line), ReplyParser::Status::kError);
    // The bound holds across feeds too (a server trickling an endless line).
    ReplyParser p;
    size_t used = 0;
    auto st = p.feed("250 ", used);
    for (int i = 0; i < 100 && st == ReplyParser::Status::kNeedMore; ++i) st = p.feed(std::string(100, 'y'), used);
    EXPECT_EQ(st, ReplyParser::Status::kError);

    std::string many;
    for (size_t i = 0; i <= ReplyParser::kMaxLines; ++i) many += "250-x\r\n";
    many += "250 x\r\n";
    EXPECT_EQ(parse_status(many), ReplyParser::Status::kError);
}

TEST(ClientReply, ErrorIsSticky) {
    ReplyParser p;
    size_t used = 0;
    ASSERT_EQ(p.feed("xyz\r\n", used), ReplyParser::Status::kError);
    EXPECT_EQ(p.feed("250 ok\r\n", used), ReplyParser::Status::kError);
    EXPECT_FALSE(p.error().empty());
}

TEST(ClientExtensions, ParsesEhloKeywords) {
    Capabilities caps = parse_ehlo(parse_one(kEhlo));
    EXPECT_TRUE(caps.esmtp);
    for (Extension e : {kExtPipelining, kExtSize, kExt8BitMime, kExtSmtpUtf8, kExtChunking, kExtBinaryMime, kExtDsn,
                        kExtEnhancedStatusCodes, kExtStartTls})
        EXPECT_TRUE(caps.has(e)) << e;
    EXPECT_EQ(caps.max_size, 10240000u);
}

TEST(ClientExtensions, GreetingLineIsNotAKeywordAndUnknownOnesAreIgnored) {
    Capabilities caps = parse_ehlo(parse_one("250-PIPELINING\r\n250-X-FOO bar\r\n250 SIZE\r\n"));
    EXPECT_FALSE(caps.has(kExtPipelining));   // first line is the server's name
    EXPECT_TRUE(caps.has(kExtSize));
    EXPECT_EQ(caps.max_size, 0u);             // SIZE without a number: no fixed limit
    EXPECT_EQ(caps.flags, static_cast<uint32_t>(kExtSize));
}
