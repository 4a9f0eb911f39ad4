// summarize_message on the awkward cases: defaults, unusable Content-Type
// fields, the nesting and part limits (src/mail/mime_parse.cpp).
#include <gtest/gtest.h>

#include <algorithm>

#include "mail/mime.hpp"
#include "test_util.hpp"

using namespace ringpost::mail;
using namespace ringpost::mail::test;

namespace {

constexpr std::string_view kNilEnvelope = "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";

// Parts of the tree, and the deepest level.
void measure(const MimePart& p, uint32_t depth, size_t& count, uint32_t& deepest) {
    ++count;
    deepest = std::max(deepest, depth);
    for (const MimePart& c : p.parts) measure(c, depth + 1, count, deepest);
}

}  // namespace

TEST(ParseEdge, EmptyMessage) {
    MessageSummary s = summarize_message("");
    EXPECT_EQ(s.envelope, kNilEnvelope);
    EXPECT_EQ(s.bodystructure, R"(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 0 0 NIL NIL NIL NIL))");
    EXPECT_EQ(s.body, R"(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 0 0))");
}

TEST(ParseEdge, NoHeaderAtAll) {
    std::string m = crlf("\nJust a body.\n");
    MessageSummary s = summarize_message(m);
    EXPECT_EQ(s.envelope, kNilEnvelope);
    EXPECT_EQ(s.root.header_size, 2u);
    EXPECT_EQ(body_of(m, s.root), crlf("Just a body.\n"));
    EXPECT_EQ(s.root.body_lines, 1u);
}

TEST(ParseEdge, EmptyDateAndSubjectAreEmptyStringsNotNil) {
    MessageSummary s = summarize_message(crlf("Date:\nSubject:   \nFrom: a@b\nSender:\nReply-To: (nobody)\n\n"));
    EXPECT_EQ(s.envelope,
              R"(("" "" ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) NIL NIL NIL NIL NIL))");
}

TEST(ParseEdge, FirstOccurrenceOfAFieldCounts) {
    MessageSummary s = summarize_message(crlf(
        "Subject: first\nSubject: second\nContent-Type: text/html\nContent-Type: image/png\n\nx"));
    EXPECT_EQ(s.envelope, R"((NIL "first" NIL NIL NIL NIL NIL NIL NIL NIL))");
    EXPECT_EQ(s.root.subtype, "html");
}

TEST(ParseEdge, InvalidContentTypeIsTextPlain) {
    MessageSummary s = summarize_message(crlf("Content-Type: garbage\n\nx"));
    EXPECT_EQ(s.bodystructure, R"(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 1 1 NIL NIL NIL NIL))");
}

TEST(ParseEdge, CaseOfTokensIsNormalised) {
    MessageSummary s = summarize_message(crlf(
        "Content-Type: TEXT/Plain; CharSet=ISO-8859-1\nContent-Transfer-Encoding: Quoted-Printable\n"
        "Content-Disposition: INLINE\n\nx\n"));
    EXPECT_EQ(s.bodystructure,
              R"(("TEXT" "PLAIN" ("CHARSET" "ISO-8859-1") NIL NIL "QUOTED-PRINTABLE" 3 1 NIL ("INLINE" NIL) NIL NIL))");
}

TEST(ParseEdge, MultipartWithoutUsableBoundaryIsText) {
    std::string no_param = crlf("Content-Type: multipart/mixed\n\n--x\n\nbody\n");
    EXPECT_EQ(summarize_message(no_param).bodystructure,
              R"(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 13 3 NIL NIL NIL NIL))");
    std::string never_found = crlf("Content-Type: multipart/mixed; boundary=zz\n\n--x\n\nbody\n");
    MessageSummary s = summarize_message(never_found);
    EXPECT_EQ(s.root.type, "text");
    EXPECT_TRUE(s.root.params.empty());
    EXPECT_TRUE(s.root.parts.empty());
}

TEST(ParseEdge, EmptyPartsBetweenDelimiters) {
    std::string m = crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n\n--b--\n");
    MessageSummary s = summarize_message(m);
    EXPECT_EQ(s.bodystructure,
              R"((("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 0 0 NIL NIL NIL NIL))"
              R"(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 0 0 NIL NIL NIL NIL))"
              R"( "MIXED" ("BOUNDARY" "b") NIL NIL NIL))");
}

TEST(ParseEdge, EncodedMessageRfc822IsNotOpened) {
    std::string m = crlf(
        "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeAoKeQo=\n");
    MessageSummary s = summarize_message(m);
    EXPECT_EQ(s.bodystructure, R"(("APPLICATION" "OCTET-STREAM" NIL NIL NIL "BASE64" 22 NIL NIL NIL NIL))");
}

// IMAP4rev1 has no message/global: with the envelope form of RFC 9051
// 7.5.2, rev1 parsers (imapflow) misread the rest of the structure. It is a
// basic part, as Dovecot sends it to rev1 clients; sections still address
// the attached message inside.
TEST(ParseEdge, MessageGlobalIsABasicPart) {
    std::string m = crlf("Content-Type: message/global\n\nSubject: \xC3\xBC\n\nx");
    MessageSummary s = summarize_message(m);
    EXPECT_EQ(s.bodystructure, "(\"MESSAGE\" \"GLOBAL\" NIL NIL NIL \"7BIT\" 16 NIL NIL NIL NIL)");
    EXPECT_EQ(s.body, "(\"MESSAGE\" \"GLOBAL\" NIL NIL NIL \"7BIT\" 16)");
    const MimePart* inner = find_part(s.root, {1});
    ASSERT_NE(inner, nullptr);
    EXPECT_EQ(inner->type, "message");
    ASSERT_EQ(inner->parts.size(), 1u);
    EXPECT_EQ(body_of(m, inner->parts[0]), "x");
}

TEST(ParseEdge, MessageGlobalInsideAMultipartAndEncoded) {
    std::string m = crlf(
        "Content-Type: multipart/mixed; boundary=b\n\n"
        "--b\nContent-Type: text/plain\n\nsee attached\n"
        "--b\nContent-Type: message/global\n\nSubject: s\n\nbody\n"
        "--b\nContent-Type: message/global\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeAoKeQo=\n"
        "--b--\n");
    MessageSummary s = summarize_message(m);
    EXPECT_EQ(s.bodystructure,
              "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 12 1 NIL NIL NIL NIL)"
              "(\"MESSAGE\" \"GLOBAL\" NIL NIL NIL \"7BIT\" 18 NIL NIL NIL NIL)"
              "(\"MESSAGE\" \"GLOBAL\" NIL NIL NIL \"BASE64\" 20 NIL NIL NIL NIL) "
              "\"MIXED\" (\"BOUNDARY\" \"b\") NIL NIL NIL)");
    // message/rfc822 keeps its envelope form.
    MessageSummary r = summarize_message(crlf("Content-Type: message/rfc822\n\nSubject: s\n\nx"));
    EXPECT_EQ(r.body,
              "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 15 (NIL \"s\" NIL NIL NIL NIL NIL NIL NIL NIL) "
              "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 1 1) 3)");
}

TEST(ParseEdge, ExplicitTypeInsideDigestIsKept) {
    std::string m = crlf(
        "Content-Type: multipart/digest; boundary=d\n\n"
        "--d\nContent-Type: text/plain\n\nnote\n--d\n\nSubject: m\n\nbody\n--d--\n");
    MessageSummary s = summarize_message(m);
    ASSERT_EQ(s.root.parts.size(), 2u);
    EXPECT_EQ(s.root.parts[0].type, "text");
    EXPECT_EQ(s.root.parts[1].type, "message");
    // Only directly inside the digest: the attached message's body is text.
    ASSERT_EQ(s.root.parts[1].parts.size(), 1u);
    EXPECT_EQ(s.root.parts[1].parts[0].type, "text");
}

TEST(ParseEdge, NestingDeeperThanTheLimitBecomesOpaque) {
    // 40 multiparts inside each other, each with its own boundary.
    std::string m;
    const int levels = 40;
    for (int i = 0; i < levels; ++i)
        m += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" + std::to_string(i) +
             "\r\n";
    m += "\r\ninnermost\r\n";
    for (int i = levels - 1; i >= 0; --i) m += "--b" + std::to_string(i) + "--\r\n";
    MessageSummary s = summarize_message(m);
    size_t count = 0;
    uint32_t deepest = 0;
    measure(s.root, 0, count, deepest);
    EXPECT_EQ(deepest, kMaxMimeDepth);
    const MimePart* p = &s.root;
    for (uint32_t d = 0; d < kMaxMimeDepth; ++d) {
        ASSERT_EQ(p->type, "multipart") << "depth " << d;
        ASSERT_EQ(p->parts.size(), 1u);
        p = &p->parts[0];
    }
    EXPECT_EQ(p->type, "application");
    EXPECT_EQ(p->subtype, "octet-stream");
    EXPECT_TRUE(p->parts.empty());
    // Still a well-formed BODYSTRUCTURE: as many closing as opening parens.
    EXPECT_EQ(std::count(s.bodystructure.begin(), s.bodystructure.end(), '('),
              std::count(s.bodystructure.begin(), s.bodystructure.end(), ')'));
}

TEST(ParseEdge, NestedMessagesDeeperThanTheLimitBecomeOpaque) {
    std::string m;
    for (int i = 0; i < 50; ++i) m += "Content-Type: message/rfc822\r\n\r\n";
    m += "Subject: bottom\r\n\r\nx";
    MessageSummary s = summarize_message(m);
    size_t count = 0;
    uint32_t deepest = 0;
    measure(s.root, 0, count, deepest);
    EXPECT_EQ(deepest, kMaxMimeDepth);
    EXPECT_EQ(count, kMaxMimeDepth + 1);
}

TEST(ParseEdge, MorePartsThanTheLimitAreCutOff) {
    std::string m = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
    for (int i = 0; i < 12000; ++i) m += "--b\r\n\r\np\r\n";
    m += "--b--\r\n";
    MessageSummary s = summarize_message(m);
    size_t count = 0;
    uint32_t deepest = 0;
    measure(s.root, 0, count, deepest);
    EXPECT_EQ(count, kMaxMimeParts);
    EXPECT_EQ(s.root.parts.size(), kMaxMimeParts - 1);
    auto d = decode_summary(encode_summary(s));
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->root.parts.size(), kMaxMimeParts - 1);
}

TEST(ParseEdge, PartBudgetRunsOutInsideNestedMultiparts) {
    // 200 multiparts of 100 parts each: the budget ends inside one of them.
    std::string m = "Content-Type: multipart/mixed; boundary=outer\r\n\r\n";
    for (int i = 0; i < 200; ++i) {
        m += "--outer\r\nContent-Type: multipart/mixed; boundary=in\r\n\r\n";
        for (int j = 0; j < 100; ++j) m += "--in\r\n\r\nx\r\n";
        m += "--in--\r\n";
    }
    m += "--outer--\r\n";
    MessageSummary s = summarize_message(m);
    size_t count = 0;
    uint32_t deepest = 0;
    measure(s.root, 0, count, deepest);
    EXPECT_LE(count, kMaxMimeParts);
    EXPECT_GE(count, kMaxMimeParts - 101);
    for (const MimePart& child : s.root.parts)
        if (child.type == "multipart") {
            EXPECT_FALSE(child.parts.empty());
        }
}
