// The milter wire codec against hand-built byte sequences (libmilter's
// mfdef.h layout: 4-byte big-endian length, code, payload).
#include "milter/codec.hpp"

#include <gtest/gtest.h>

#include "milter/protocol.hpp"

namespace ringpost::milter {
namespace {

using namespace std::string_literals;

std::string packet(char code, const std::string& payload) {
    const uint32_t n = static_cast<uint32_t>(payload.size() + 1);
    std::string out{static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
    return out + code + payload;
}

Reply parse_one(const std::string& bytes) {
    Reply r;
    size_t consumed = 0;
    std::string error;
    EXPECT_EQ(next_reply(bytes, consumed, r, error), Parse::kReply) << error;
    EXPECT_EQ(consumed, bytes.size());
    return r;
}

std::string parse_error(const std::string& bytes) {
    Reply r;
    size_t consumed = 0;
    std::string error;
    EXPECT_EQ(next_reply(bytes, consumed, r, error), Parse::kError);
    return error;
}

TEST(MilterCodec, OptionNegotiationCommand) {
    std::string out;
    put_option_negotiation(out, 6, 0x1ff, 0x1fffff);
    EXPECT_EQ(out, "\x00\x00\x00\x0d"s "O" "\x00\x00\x00\x06"s "\x00\x00\x01\xff"s "\x00\x1f\xff\xff"s);
}

TEST(MilterCodec, ConnectCarriesFamilyPortAndAddress) {
    std::string out;
    put_connect(out, "unknown", "192.0.2.7", 2525);
    EXPECT_EQ(out, packet('C', "unknown\0"s "4" "\x09\xdd"s "192.0.2.7\0"s));
    out.clear();
    put_connect(out, "unknown", "2001:db8::1", 25);
    EXPECT_EQ(out, packet('C', "unknown\0"s "6" "\x00\x19"s "2001:db8::1\0"s));
    out.clear();
    put_connect(out, "localhost", "", 0);
    EXPECT_EQ(out, packet('C', "localhost\0U"s));
}

TEST(MilterCodec, MacrosNameTheirCommand) {
    std::string out;
    put_macros(out, 'M', {{"i", "0123ABCD"}, {"{auth_authen}", "alice"}});
    EXPECT_EQ(out, packet('D', "Mi\0" "0123ABCD\0{auth_authen}\0alice\0"s));
}

TEST(MilterCodec, EnvelopeAndContentCommands) {
    std::string out;
    put_mail(out, "a@example.org", {"SIZE=100"});
    put_rcpt(out, "b@example.net", {});
    put_header(out, "Subject", "hi");
    put_bare(out, cmd::kEndOfHeaders);
    put_body(out, "x\r\n");
    put_bare(out, cmd::kEndOfBody);
    EXPECT_EQ(out, packet('M', "<a@example.org>\0SIZE=100\0"s) + packet('R', "<b@example.net>\0"s) +
                       packet('L', "Subject\0hi\0"s) + packet('N', "") + packet('B', "x\r\n") + packet('E', ""));
    out.clear();
    put_mail(out, "", {});
    EXPECT_EQ(out, packet('M', "<>\0"s));
}

TEST(MilterCodec, NulInsideAStringIsCut) {
    std::string out;
    put_helo(out, "mx\0evil"s);
    EXPECT_EQ(out, packet('H', "mx\0"s));
}

TEST(MilterCodec, IncompletePacketsWait) {
    const std::string whole = packet('h', "X-A\0b\0"s);
    for (size_t n = 0; n < whole.size(); ++n) {
        Reply r;
        size_t consumed = 7;
        std::string error;
        EXPECT_EQ(next_reply(std::string_view(whole).substr(0, n), consumed, r, error), Parse::kNeedMore) << n;
        EXPECT_EQ(consumed, 0u);
    }
}

TEST(MilterCodec, TwoRepliesInOneBuffer) {
    const std::string bytes = packet('c', "") + packet('a', "");
    Reply r;
    size_t consumed = 0;
    std::string error;
    ASSERT_EQ(next_reply(bytes, consumed, r, error), Parse::kReply);
    EXPECT_EQ(r.code, 'c');
    EXPECT_EQ(consumed, 5u);
    ASSERT_EQ(next_reply(std::string_view(bytes).substr(consumed), consumed, r, error), Parse::kReply);
    EXPECT_EQ(r.code, 'a');
}

TEST(MilterCodec, OptionNegotiationReply) {
    Reply r = parse_one(packet('O', "\x00\x00\x00\x06\x00\x00\x00\x3f\x00\x1f\xff\xff"s));
    EXPECT_EQ(r.version, 6u);
    EXPECT_EQ(r.actions, 0x3fu);
    EXPECT_EQ(r.protocol, 0x1fffffu);
    EXPECT_NE(parse_error(packet('O', "\x00\x00\x00\x06"s)), "");
}

TEST(MilterCodec, HeaderReplies) {
    Reply add = parse_one(packet('h', "X-Spam\0Yes\0"s));
    EXPECT_EQ(add.name, "X-Spam");
    EXPECT_EQ(add.value, "Yes");
    Reply chg = parse_one(packet('m', "\x00\x00\x00\x02Subject\0\0"s));
    EXPECT_EQ(chg.index, 2u);
    EXPECT_EQ(chg.name, "Subject");
    EXPECT_EQ(chg.value, "");
    Reply ins = parse_one(packet('i', "\x00\x00\x00\x00X-First\0v\n\tw\0"s));
    EXPECT_EQ(ins.index, 0u);
    EXPECT_EQ(ins.value, "v\n\tw");
    EXPECT_NE(parse_error(packet('h', "X-Spam\0Yes"s)), "");          // no NUL after the value
    EXPECT_NE(parse_error(packet('h', "Bad Name\0v\0"s)), "");        // a blank in the name
    EXPECT_NE(parse_error(packet('m', "\x00\x00"s)), "");             // no index
}

TEST(MilterCodec, RecipientRepliesLoseTheirBrackets) {
    EXPECT_EQ(parse_one(packet('+', "<new@example.org>\0"s)).text, "new@example.org");
    EXPECT_EQ(parse_one(packet('-', "old@example.org\0"s)).text, "old@example.org");
    EXPECT_EQ(parse_one(packet('-', "bare@example.org")).text, "bare@example.org");
    Reply par = parse_one(packet('2', "<p@example.org>\0NOTIFY=NEVER\0"s));
    EXPECT_EQ(par.text, "p@example.org");
    EXPECT_EQ(par.args, "NOTIFY=NEVER");
    EXPECT_NE(parse_error(packet('+', "a@b\r\nRCPT TO:<x>\0"s)), "");
}

TEST(MilterCodec, ReplyCodeIsChecked) {
    EXPECT_EQ(parse_one(packet('y', "554 5.7.1 Gtube pattern\0"s)).text, "554 5.7.1 Gtube pattern");
    EXPECT_EQ(parse_one(packet('y', "451 4.7.1 later")).text, "451 4.7.1 later");   // NUL missing: tolerated
    EXPECT_NE(parse_error(packet('y', "250 2.0.0 fine\0"s)), "");
    EXPECT_NE(parse_error(packet('y', "550 4.7.1 mixed\0"s)), "");
    EXPECT_NE(parse_error(packet('y', "5x0 nope\0"s)), "");
    EXPECT_NE(parse_error(packet('y', "550-first\r\n551 second\0"s)), "");
}

TEST(MilterCodec, SmtpReplySplit) {
    auto r = parse_smtp_reply("550-5.7.1 first line\r\n550 5.7.1 second line");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->code, 550);
    EXPECT_EQ(r->enhanced, "5.7.1");
    EXPECT_EQ(r->text, "first line / second line");
    auto bare = parse_smtp_reply("421");
    ASSERT_TRUE(bare.ok());
    EXPECT_EQ(bare->enhanced, "");
    EXPECT_EQ(bare->text, "");
}

TEST(MilterCodec, SimpleAndBodyReplies) {
    for (char c : {'a', 'c', 'd', 'r', 't', 'p', 's'}) EXPECT_EQ(parse_one(packet(c, "")).code, c);
    EXPECT_EQ(parse_one(packet('b', "new body\r\n")).text, "new body\r\n");
    EXPECT_EQ(parse_one(packet('q', "held\0"s)).text, "held");
}

TEST(MilterCodec, BadPackets) {
    EXPECT_NE(parse_error("\x00\x00\x00\x00"s), "");                       // zero length
    EXPECT_NE(parse_error("\x7f\xff\xff\xff" "a"s), "");                   // far too long
    EXPECT_NE(parse_error(packet('Z', "")), "");                           // unknown code
}

}  // namespace
}  // namespace ringpost::milter
