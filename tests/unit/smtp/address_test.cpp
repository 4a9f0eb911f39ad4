// Tests for MAIL FROM / RCPT TO parsing, ESMTP parameters and xtext
// (src/smtp/address.hpp).
#include "smtp/address.hpp"

#include <gtest/gtest.h>

using namespace ringpost;
using namespace ringpost::smtp;

namespace {

const Extensions kAll{.esmtp = true, .chunking = true, .smtputf8 = true, .dsn = true};
const Extensions kHelo{};

Reply from(std::string_view arg, MailFrom& m, const Extensions& ext = kAll) { return parse_mail_from(arg, ext, m); }
Reply rcpt(std::string_view arg, RcptTo& r, bool utf8 = false, const Extensions& ext = kAll) {
    return parse_rcpt_to(arg, ext, utf8, r);
}

// "code status" of a reply, for compact expectations.
std::string code(const Reply& r) {
    if (r.ok()) return "ok";
    return std::to_string(r.code) + " " + std::string(r.status);
}

}  // namespace

TEST(MailFrom, PlainAddress) {
    MailFrom m;
    ASSERT_EQ(code(from("FROM:<user@example.com>", m)), "ok");
    EXPECT_EQ(m.address, "user@example.com");
    EXPECT_FALSE(m.size_given);
    EXPECT_EQ(m.body, mail::BodyType::k7Bit);
    EXPECT_FALSE(m.smtputf8);
    EXPECT_EQ(m.ret, mail::DsnRet::kUnset);
}

TEST(MailFrom, NullSenderAndCaseInsensitivePrefix) {
    MailFrom m;
    ASSERT_EQ(code(from("FROM:<>", m)), "ok");
    EXPECT_TRUE(m.address.empty());
    ASSERT_EQ(code(from("from:<>", m)), "ok");
    ASSERT_EQ(code(from("From:<a@b.c>", m)), "ok");
    EXPECT_EQ(m.address, "a@b.c");
}

TEST(MailFrom, SpaceAfterColonIsTolerated) {
    MailFrom m;
    ASSERT_EQ(code(from("FROM: <user@example.com>", m)), "ok");
    EXPECT_EQ(m.address, "user@example.com");
    ASSERT_EQ(code(from("FROM:  <>  SIZE=5", m)), "ok");
    EXPECT_EQ(m.size, 5u);
}

TEST(MailFrom, SyntaxErrors) {
    MailFrom m;
    EXPECT_EQ(code(from("", m)), "501 5.5.4");
    EXPECT_EQ(code(from("FROM:", m)), "501 5.5.4");
    EXPECT_EQ(code(from("FROM <a@b>", m)), "501 5.5.4");
    EXPECT_EQ(code(from("TO:<a@b>", m)), "501 5.5.4");
    EXPECT_EQ(code(from("FROM:a@b", m)), "501 5.1.7");          // brackets are required
    EXPECT_EQ(code(from("FROM:<a@b", m)), "501 5.1.7");
    EXPECT_EQ(code(from("FROM:<a@b>x", m)), "501 5.1.7");
    EXPECT_EQ(code(from("FROM:<a@b>SIZE=1", m)), "501 5.1.7");
    EXPECT_EQ(code(from("FROM:<a>", m)), "501 5.1.7");          // no domain
    EXPECT_EQ(code(from("FROM:<@b>", m)), "501 5.1.7");
    EXPECT_EQ(code(from("FROM:<a@>", m)), "501 5.1.7");
    EXPECT_EQ(code(from("FROM:<a@@b>", m)), "501 5.1.7");
    EXPECT_EQ(code(from("FROM:<a b@c>", m)), "501 5.1.7");
    EXPECT_EQ(code(from("FROM:<postmaster>", m)), "501 5.1.7"); // only RCPT allows it
}

TEST(Address, DotStringRules) {
    RcptTo r;
    EXPECT_EQ(code(rcpt("TO:<first.last@example.com>", r)), "ok");
    EXPECT_EQ(code(rcpt("TO:<a!#$%&'*+-/=?^_`{|}~@example.com>", r)), "ok");
    EXPECT_EQ(code(rcpt("TO:<.a@example.com>", r)), "501 5.1.3");
    EXPECT_EQ(code(rcpt("TO:<a.@example.com>", r)), "501 5.1.3");
    EXPECT_EQ(code(rcpt("TO:<a..b@example.com>", r)), "501 5.1.3");
    EXPECT_EQ(code(rcpt("TO:<a(b)@example.com>", r)), "501 5.1.3");
    EXPECT_EQ(code(rcpt("TO:<a,b@example.com>", r)), "501 5.1.3");
}

TEST(Address, QuotedLocalParts) {
    RcptTo r;
    ASSERT_EQ(code(rcpt("TO:<\"john doe\"@example.com>", r)), "ok");
    EXPECT_EQ(r.address, "\"john doe\"@example.com");
    // '>' and '@' inside quotes do not end the path.
    ASSERT_EQ(code(rcpt("TO:<\"a>b@c\"@example.com> NOTIFY=NEVER", r)), "ok");
    EXPECT_EQ(r.address, "\"a>b@c\"@example.com");
    EXPECT_EQ(r.notify, mail::kNotifyNever);
    ASSERT_EQ(code(rcpt("TO:<\"a\\\"b\\\\c\"@example.com>", r)), "ok");
    EXPECT_EQ(r.address, "\"a\\\"b\\\\c\"@example.com");
    EXPECT_EQ(code(rcpt("TO:<\"\"@example.com>", r)), "ok");
    EXPECT_EQ(code(rcpt("TO:<\"unterminated@example.com>", r)), "501 5.1.3");
    EXPECT_EQ(code(rcpt("TO:<\"a\"b@example.com>", r)), "501 5.1.3");
    EXPECT_EQ(code(rcpt(std::string_view("TO:<\"a\tb\"@example.com>"), r)), "501 5.1.3");
    EXPECT_EQ(code(rcpt("TO:<\"a\\\x01\"@example.com>", r)), "501 5.1.3");
}

TEST(Address, Domains) {
    RcptTo r;
    EXPECT_EQ(code(rcpt("TO:<a@b>", r)), "ok");
    EXPECT_EQ(code(rcpt("TO:<a@sub-1.example.com>", r)), "ok");
    EXPECT_EQ(code(rcpt("TO:<a@under_score.example>", r)), "ok");
    EXPECT_EQ(code(rcpt("TO:<a@-x.example>", r)), "501 5.1.3");
    EXPECT_EQ(code(rcpt("TO:<a@x-.example>", r)), "501 5.1.3");
    EXPECT_EQ(code(rcpt("TO:<a@example.com.>", r)), "501 5.1.3");
    EXPECT_EQ(code(rcpt("TO:<a@.example.com>", r)), "501 5.1.3");
    EXPECT_EQ(code(rcpt("TO:<a@ex..ample>", r)), "501 5.1.3");
    std::string label(64, 'x');
    EXPECT_EQ(code(rcpt("TO:<a@" + label + ".com>", r)), "501 5.1.3");
    label.pop_back();
    EXPECT_EQ(code(rcpt("TO:<a@" + label + ".com>", r)), "ok");
    std::string local(251, 'l');
    EXPECT_EQ(code(rcpt("TO:<" + local + "@b.c>", r)), "501 5.1.3");   // path over 256 octets
}

TEST(Address, AddressLiterals) {
    RcptTo r;
    EXPECT_EQ(code(rcpt("TO:<a@[192.0.2.1]>", r)), "ok");
    EXPECT_EQ(r.address, "a@[192.0.2.1]");
    EXPECT_EQ(code(rcpt("TO:<a@[IPv6:2001:db8::1]>", r)), "ok");
    EXPECT_EQ(code(rcpt("TO:<a@[ipv6:::1]>", r)), "ok");
    EXPECT_EQ(code(rcpt("TO:<a@[x-tag:some-content]>", r)), "ok");
    EXPECT_EQ(code(rcpt("TO:<a@[256.0.0.1]>", r)), "501 5.1.3");
    EXPECT_EQ(code(rcpt("TO:<a@[1.2.3]>", r)), "501 5.1.3");
    EXPECT_EQ(code(rcpt("TO:<a@[1.2.3.4.5]>", r)), "501 5.1.3");
    EXPECT_EQ(code(rcpt("TO:<a@[1.2.3.4>", r)), "501 5.1.3");
    EXPECT_EQ(code(rcpt("TO:<a@[IPv6:2001:db8::g]>", r)), "501 5.1.3");
    EXPECT_EQ(code(rcpt("TO:<a@[IPv6:]>", r)), "501 5.1.3");
    EXPECT_EQ(code(rcpt("TO:<a@[x-:y]>", r)), "501 5.1.3");
}

TEST(Address, SourceRoutesAreStripped) {
    RcptTo r;
    ASSERT_EQ(code(rcpt("TO:<@a.example,@b.example:user@d.example>", r)), "ok");
    EXPECT_EQ(r.address, "user@d.example");
    MailFrom m;
    ASSERT_EQ(code(from("FROM:<@relay.example:user@d.example>", m)), "ok");
    EXPECT_EQ(m.address, "user@d.example");
    EXPECT_EQ(code(rcpt("TO:<@a.example user@d.example>", r)), "501 5.1.3");
    EXPECT_EQ(code(rcpt("TO:<@a.example,b.example:user@d.example>", r)), "501 5.1.3");
    EXPECT_EQ(code(rcpt("TO:<@:user@d.example>", r)), "501 5.1.3");
}

TEST(RcptTo, Postmaster) {
    RcptTo r;
    ASSERT_EQ(code(rcpt("TO:<postmaster>", r)), "ok");
    EXPECT_EQ(r.address, "postmaster");
    ASSERT_EQ(code(rcpt("TO:<PostMaster>", r)), "ok");
    EXPECT_EQ(r.address, "PostMaster");
    ASSERT_EQ(code(rcpt("TO:<postmaster@example.com>", r)), "ok");
    EXPECT_EQ(code(rcpt("TO:<postmasterx>", r)), "501 5.1.3");
    EXPECT_EQ(code(rcpt("TO:<>", r)), "501 5.1.3");
    EXPECT_EQ(code(rcpt("TO:", r)), "501 5.5.4");
    EXPECT_EQ(code(rcpt("FROM:<a@b>", r)), "501 5.5.4");
}

TEST(Address, Utf8NeedsSmtputf8) {
    MailFrom m;
    // Without SMTPUTF8 a unicode address is refused as RFC 6531 3.6 asks.
    EXPECT_EQ(code(from("FROM:<j\xc3\xb6rg@example.com>", m)), "553 5.6.7");
    EXPECT_EQ(code(from("FROM:<user@b\xc3\xbc\x63her.example>", m)), "553 5.6.7");
    ASSERT_EQ(code(from("FROM:<j\xc3\xb6rg@b\xc3\xbc\x63her.example> SMTPUTF8", m)), "ok");
    EXPECT_TRUE(m.smtputf8);
    EXPECT_EQ(m.address, "j\xc3\xb6rg@b\xc3\xbc\x63her.example");
    ASSERT_EQ(code(from("FROM:<\"\xe7\x94\xb0 \xe4\xb8\xad\"@example.com> SMTPUTF8", m)), "ok");
    // SMTPUTF8 not offered (HELO, or disabled): the parameter itself is refused.
    Extensions no_utf8 = kAll;
    no_utf8.smtputf8 = false;
    EXPECT_EQ(code(from("FROM:<j\xc3\xb6rg@example.com> SMTPUTF8", m, no_utf8)), "555 5.5.4");
    // Malformed UTF-8 is a syntax error, SMTPUTF8 or not.
    EXPECT_EQ(code(from("FROM:<j\xc3@example.com> SMTPUTF8", m)), "501 5.1.7");
    EXPECT_EQ(code(from("FROM:<\xc0\xafx@example.com> SMTPUTF8", m)), "501 5.1.7");   // overlong
    EXPECT_EQ(code(from("FROM:<\xed\xa0\x80x@example.com> SMTPUTF8", m)), "501 5.1.7");   // surrogate

    RcptTo r;
    EXPECT_EQ(code(rcpt("TO:<j\xc3\xb6rg@example.com>", r, false)), "553 5.6.7");
    ASSERT_EQ(code(rcpt("TO:<j\xc3\xb6rg@example.com>", r, true)), "ok");
    EXPECT_EQ(r.address, "j\xc3\xb6rg@example.com");
    EXPECT_EQ(code(rcpt("TO:<j\xff@example.com>", r, true)), "501 5.1.3");
}

TEST(MailFrom, Parameters) {
    MailFrom m;
    ASSERT_EQ(code(from("FROM:<a@b> SIZE=12345 BODY=8BITMIME RET=HDRS ENVID=QQ+2B1", m)), "ok");
    EXPECT_TRUE(m.size_given);
    EXPECT_EQ(m.size, 12345u);
    EXPECT_EQ(m.body, mail::BodyType::k8BitMime);
    EXPECT_EQ(m.ret, mail::DsnRet::kHeaders);
    EXPECT_EQ(m.envid, "QQ+2B1");
    ASSERT_EQ(code(from("FROM:<a@b> body=binarymime ret=full size=0", m)), "ok");
    EXPECT_EQ(m.body, mail::BodyType::kBinaryMime);
    EXPECT_EQ(m.ret, mail::DsnRet::kFull);
    EXPECT_EQ(m.size, 0u);
    ASSERT_EQ(code(from("FROM:<a@b>   BODY=7BIT", m)), "ok");
    EXPECT_EQ(m.body, mail::BodyType::k7Bit);
    ASSERT_EQ(code(from("FROM:<a@b> SIZE=99999999999999999999999", m)), "ok");
    EXPECT_EQ(m.size, UINT64_MAX);   // saturated: "too big", not a syntax error
}

TEST(MailFrom, ParameterErrors) {
    MailFrom m;
    Reply r = from("FROM:<a@b> FOO=bar", m);
    EXPECT_EQ(code(r), "555 5.5.4");
    EXPECT_EQ(r.detail, "FOO=bar");
    EXPECT_EQ(code(from("FROM:<a@b> AUTH=<>", m)), "555 5.5.4");
    r = from("FROM:<a@b> SIZE=1 size=2", m);
    EXPECT_EQ(code(r), "501 5.5.4");
    EXPECT_EQ(r.detail, "size");
    EXPECT_EQ(code(from("FROM:<a@b> BODY=8BITMIME BODY=7BIT", m)), "501 5.5.4");
    EXPECT_EQ(code(from("FROM:<a@b> SMTPUTF8 SMTPUTF8", m)), "501 5.5.4");
    EXPECT_EQ(code(from("FROM:<a@b> SIZE=", m)), "501 5.5.4");
    EXPECT_EQ(code(from("FROM:<a@b> SIZE", m)), "501 5.5.4");
    EXPECT_EQ(code(from("FROM:<a@b> SIZE=-1", m)), "501 5.5.4");
    EXPECT_EQ(code(from("FROM:<a@b> SIZE=1k", m)), "501 5.5.4");
    EXPECT_EQ(code(from("FROM:<a@b> BODY=9BIT", m)), "501 5.5.4");
    EXPECT_EQ(code(from("FROM:<a@b> BODY", m)), "501 5.5.4");
    EXPECT_EQ(code(from("FROM:<a@b> SMTPUTF8=yes", m)), "501 5.5.4");
    EXPECT_EQ(code(from("FROM:<a@b> RET=ALL", m)), "501 5.5.4");
    EXPECT_EQ(code(from("FROM:<a@b> =x", m)), "501 5.5.4");
    EXPECT_EQ(code(from("FROM:<a@b> -X=1", m)), "501 5.5.4");
    EXPECT_EQ(code(from("FROM:<a@b> X_Y=1", m)), "501 5.5.4");
    EXPECT_EQ(code(from("FROM:<a@b> ENVID=", m)), "501 5.5.4");
    EXPECT_EQ(code(from("FROM:<a@b> ENVID=a+4", m)), "501 5.5.4");     // truncated hexchar
    EXPECT_EQ(code(from("FROM:<a@b> ENVID=a+ZZb", m)), "501 5.5.4");
    EXPECT_EQ(code(from("FROM:<a@b> ENVID=a+0Db", m)), "501 5.5.4");   // decodes to a control
    EXPECT_EQ(code(from("FROM:<a@b> ENVID=" + std::string(101, 'x'), m)), "501 5.5.4");
    EXPECT_EQ(code(from("FROM:<a@b> ENVID=" + std::string(100, 'x'), m)), "ok");
}

TEST(MailFrom, ParametersOnlyWhenOffered) {
    MailFrom m;
    // HELO: no ESMTP parameters at all.
    EXPECT_EQ(code(from("FROM:<a@b> SIZE=10", m, kHelo)), "555 5.5.4");
    EXPECT_EQ(code(from("FROM:<a@b> BODY=8BITMIME", m, kHelo)), "555 5.5.4");
    EXPECT_EQ(code(from("FROM:<a@b>", m, kHelo)), "ok");
    Extensions no_dsn = kAll;
    no_dsn.dsn = false;
    EXPECT_EQ(code(from("FROM:<a@b> RET=FULL", m, no_dsn)), "555 5.5.4");
    EXPECT_EQ(code(from("FROM:<a@b> ENVID=x", m, no_dsn)), "555 5.5.4");
    Extensions no_chunking = kAll;
    no_chunking.chunking = false;
    EXPECT_EQ(code(from("FROM:<a@b> BODY=BINARYMIME", m, no_chunking)), "555 5.5.4");
    EXPECT_EQ(code(from("FROM:<a@b> BODY=8BITMIME", m, no_chunking)), "ok");
}

TEST(RcptTo, DsnParameters) {
    RcptTo r;
    ASSERT_EQ(code(rcpt("TO:<a@b> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;a+2Bb@b", r)), "ok");
    EXPECT_EQ(r.notify, mail::kNotifySuccess | mail::kNotifyFailure | mail::kNotifyDelay);
    EXPECT_EQ(r.orcpt, "rfc822;a+2Bb@b");
    std::string decoded;
    ASSERT_TRUE(decode_orcpt(r.orcpt, decoded));
    EXPECT_EQ(decoded, "rfc822;a+b@b");
    ASSERT_EQ(code(rcpt("TO:<a@b> notify=failure", r)), "ok");
    EXPECT_EQ(r.notify, mail::kNotifyFailure);
    ASSERT_EQ(code(rcpt("TO:<a@b> NOTIFY=never", r)), "ok");
    EXPECT_EQ(r.notify, mail::kNotifyNever);

    EXPECT_EQ(code(rcpt("TO:<a@b> NOTIFY=NEVER,SUCCESS", r)), "501 5.5.4");   // NEVER is exclusive
    EXPECT_EQ(code(rcpt("TO:<a@b> NOTIFY=FAILURE,NEVER", r)), "501 5.5.4");
    EXPECT_EQ(code(rcpt("TO:<a@b> NOTIFY=SUCCESS,,DELAY", r)), "501 5.5.4");
    EXPECT_EQ(code(rcpt("TO:<a@b> NOTIFY=SOMETIMES", r)), "501 5.5.4");
    EXPECT_EQ(code(rcpt("TO:<a@b> NOTIFY=", r)), "501 5.5.4");
    EXPECT_EQ(code(rcpt("TO:<a@b> NOTIFY=NEVER NOTIFY=NEVER", r)), "501 5.5.4");
    EXPECT_EQ(code(rcpt("TO:<a@b> ORCPT=rfc822", r)), "501 5.5.4");      // no ';'
    EXPECT_EQ(code(rcpt("TO:<a@b> ORCPT=;a@b", r)), "501 5.5.4");        // no type
    EXPECT_EQ(code(rcpt("TO:<a@b> ORCPT=rfc822;", r)), "501 5.5.4");     // no address
    EXPECT_EQ(code(rcpt("TO:<a@b> ORCPT=rfc822;a+0Ab", r)), "501 5.5.4");
    EXPECT_EQ(code(rcpt("TO:<a@b> ORCPT=rfc822;a@b ORCPT=rfc822;a@b", r)), "501 5.5.4");
    EXPECT_EQ(code(rcpt("TO:<a@b> SIZE=1", r)), "555 5.5.4");   // a MAIL parameter
    EXPECT_EQ(code(rcpt("TO:<a@b> NOTIFY=NEVER", r, false, kHelo)), "555 5.5.4");
    Extensions no_dsn = kAll;
    no_dsn.dsn = false;
    EXPECT_EQ(code(rcpt("TO:<a@b> NOTIFY=NEVER", r, false, no_dsn)), "555 5.5.4");
}

TEST(RcptTo, Utf8Orcpt) {
    RcptTo r;
    EXPECT_EQ(code(rcpt("TO:<a@b> ORCPT=utf-8;j\xc3\xb6rg@b", r, false)), "501 5.5.4");
    ASSERT_EQ(code(rcpt("TO:<a@b> ORCPT=utf-8;j\xc3\xb6rg@b", r, true)), "ok");
    EXPECT_EQ(code(rcpt("TO:<a@b> ORCPT=utf-8;j\xc3@b", r, true)), "501 5.5.4");
}

TEST(Xtext, Decoding) {
    std::string out;
    ASSERT_TRUE(decode_xtext("plain", out));
    EXPECT_EQ(out, "plain");
    out.clear();
    ASSERT_TRUE(decode_xtext("a+2Bb+3Dc+20d", out));
    EXPECT_EQ(out, "a+b=c d");
    out.clear();
    ASSERT_TRUE(decode_xtext("+2b", out));   // lower-case hex tolerated
    EXPECT_EQ(out, "+");
    out = "keep";
    EXPECT_FALSE(decode_xtext("bad+", out));
    EXPECT_EQ(out, "keep");   // nothing appended on failure
    EXPECT_FALSE(decode_xtext("bad+2", out));
    EXPECT_FALSE(decode_xtext("bad+G0", out));
    EXPECT_FALSE(decode_xtext("a=b", out));
    EXPECT_FALSE(decode_xtext("a b", out));
    EXPECT_FALSE(decode_xtext("a+00", out));
    EXPECT_FALSE(decode_xtext("a+7F", out));
    EXPECT_EQ(out, "keep");
    out.clear();
    ASSERT_TRUE(decode_xtext("", out));
    EXPECT_EQ(out, "");
}

TEST(Utf8, Validation) {
    EXPECT_TRUE(valid_utf8("ascii"));
    EXPECT_TRUE(valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
    EXPECT_FALSE(valid_utf8("\x80"));
    EXPECT_FALSE(valid_utf8("\xc3"));
    EXPECT_FALSE(valid_utf8("\xe2\x82"));
    EXPECT_FALSE(valid_utf8("\xc1\xbf"));           // overlong
    EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));       // surrogate
    EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));   // > U+10FFFF
    EXPECT_FALSE(valid_utf8("\xf8\x88\x80\x80\x80"));
}
