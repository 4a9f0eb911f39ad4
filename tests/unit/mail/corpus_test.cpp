// The corpus (corpus/README): real-world-shaped messages with their exact
// ENVELOPE and BODYSTRUCTURE, worked out by hand from RFC 3501 7.4.2 and
// section 9 (sizes and line counts of each part body computed from the
// texts below), and the bytes each part's offsets point at.
#include <gtest/gtest.h>

#include "mail/mime.hpp"
#include "test_util.hpp"

using namespace ringpost::mail;
using namespace ringpost::mail::test;

namespace {

struct ExpectedPart {
    std::string path;
    std::string body;   // exact bytes of the part body
};

void expect_parts(std::string_view message, const MessageSummary& s, const std::vector<ExpectedPart>& parts) {
    for (const ExpectedPart& e : parts) {
        SCOPED_TRACE("part " + e.path);
        const MimePart* p = find_part(s.root, path(e.path));
        ASSERT_NE(p, nullptr);
        ASSERT_LE(static_cast<size_t>(p->body_offset) + p->body_size, message.size());
        EXPECT_EQ(body_of(message, *p), e.body);
    }
}

// Round trip through the store form on every corpus message as well.
void expect_round_trip(const MessageSummary& s) {
    auto decoded = decode_summary(encode_summary(s));
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(decoded->envelope, s.envelope);
    EXPECT_EQ(decoded->bodystructure, s.bodystructure);
    EXPECT_EQ(decoded->body, s.body);
    EXPECT_EQ(encode_summary(*decoded), encode_summary(s));
}

}  // namespace

TEST(Corpus, PlainText) {
    std::string m = read_corpus("plain.eml");
    MessageSummary s = summarize_message(m);
    EXPECT_EQ(s.envelope,
              R"imap(("Mon, 7 Aug 2023 10:15:00 +0200" "Lunch on Friday? A subject line that is long enough to be folded" )imap"
              R"imap((("Alice Example" NIL "alice" "example.org")) (("Alice Example" NIL "alice" "example.org")) )imap"
              R"imap((("Alice Example" NIL "alice" "example.org")) )imap"
              R"imap((("Bob" NIL "bob" "example.com")("Carol at home" NIL "carol" "example.net")(NIL NIL "john.q public" "example.com")) )imap"
              R"imap((("Dave \"The Boss\", Jr." NIL "dave" "example.com")) NIL )imap"
              R"imap("<CAH+abc=def@mail.example.com>" "<20230807101500.1234@example.org>"))imap");
    EXPECT_EQ(s.bodystructure,
              R"imap(("TEXT" "PLAIN" ("CHARSET" "utf-8" "FORMAT" "flowed") NIL NIL "7BIT" 133 6 NIL NIL NIL NIL))imap");
    EXPECT_EQ(s.body, R"imap(("TEXT" "PLAIN" ("CHARSET" "utf-8" "FORMAT" "flowed") NIL NIL "7BIT" 133 6))imap");
    expect_parts(m, s,
                 {{"", crlf("Hi Bob,\n\nare we still on for lunch on Friday? The new place on Main Street\n"
                            "opens at noon; I can book a table for three.\n\nAlice\n")},
                  {"1", crlf("Hi Bob,\n\nare we still on for lunch on Friday? The new place on Main Street\n"
                             "opens at noon; I can book a table for three.\n\nAlice\n")}});
    EXPECT_EQ(s.root.header_offset, 0u);
    EXPECT_EQ(s.root.header_offset + s.root.header_size, s.root.body_offset);
    EXPECT_TRUE(header_of(m, s.root).starts_with("Return-Path: <alice@example.org>\r\n"));
    EXPECT_TRUE(header_of(m, s.root).ends_with("Content-Transfer-Encoding: 7bit\r\n\r\n"));
    expect_round_trip(s);
}

TEST(Corpus, MultipartAlternative) {
    std::string m = read_corpus("alternative.eml");
    MessageSummary s = summarize_message(m);
    EXPECT_EQ(s.envelope,
              R"imap(("Tue, 8 Aug 2023 08:00:00 -0700" "Your weekly digest" )imap"
              R"imap((("Example Newsletter" NIL "news" "example.com")) (("Example Newsletter" NIL "news" "example.com")) )imap"
              R"imap(((NIL NIL "feedback" "example.com")) ((NIL NIL "subscriber" "example.net")) NIL NIL NIL )imap"
              R"imap("<weekly-2023-32@example.com>"))imap");
    EXPECT_EQ(s.bodystructure,
              R"imap((("TEXT" "PLAIN" ("CHARSET" "UTF-8") NIL NIL "QUOTED-PRINTABLE" 90 2 NIL NIL NIL NIL))imap"
              R"imap(("TEXT" "HTML" ("CHARSET" "UTF-8") NIL NIL "QUOTED-PRINTABLE" 154 4 NIL NIL NIL NIL))imap"
              R"imap( "ALTERNATIVE" ("BOUNDARY" "b1_5d2f0c1e9a") NIL NIL NIL))imap");
    EXPECT_EQ(s.body,
              R"imap((("TEXT" "PLAIN" ("CHARSET" "UTF-8") NIL NIL "QUOTED-PRINTABLE" 90 2))imap"
              R"imap(("TEXT" "HTML" ("CHARSET" "UTF-8") NIL NIL "QUOTED-PRINTABLE" 154 4) "ALTERNATIVE"))imap");
    expect_parts(m, s,
                 {{"1", crlf("This week: three new articles.\n"
                             "Read them at https://example.com/weekly =E2=80=94 enjoy!\n")},
                  {"2", crlf("<html><body>\n<p>This week: <b>three</b> new articles.</p>\n"
                             "<p><a href=3D\"https://example.com/weekly\">Read them</a> =E2=80=94 enjoy!</p>\n"
                             "</body></html>\n")}});
    const MimePart* p1 = find_part(s.root, {1});
    ASSERT_NE(p1, nullptr);
    EXPECT_EQ(header_of(m, *p1),
              crlf("Content-Type: text/plain; charset=\"UTF-8\"\nContent-Transfer-Encoding: quoted-printable\n\n"));
    EXPECT_EQ(find_part(s.root, {3}), nullptr);
    expect_round_trip(s);
}

TEST(Corpus, MixedWithAttachments) {
    std::string m = read_corpus("mixed_attachment.eml");
    MessageSummary s = summarize_message(m);
    EXPECT_EQ(s.envelope,
              R"imap(("Wed, 9 Aug 2023 14:30:00 +0000" "Quarterly report" (("Erin" NIL "erin" "example.org")) )imap"
              R"imap((("Erin" NIL "erin" "example.org")) (("Erin" NIL "erin" "example.org")) )imap"
              R"imap((("Frank" NIL "frank" "example.com")) NIL NIL NIL "<q3-report@example.org>"))imap");
    EXPECT_EQ(s.bodystructure,
              R"imap((("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 56 2 NIL NIL NIL NIL))imap"
              R"imap(("APPLICATION" "PDF" ("NAME" "report.pdf") NIL "Q3 report" "BASE64" 122 )imap"
              R"imap("Q2hlY2sgSW50ZWdyaXR5IQ==" ("ATTACHMENT" ("FILENAME" "report.pdf" "SIZE" "130")) NIL NIL))imap"
              R"imap(("TEXT" "CSV" ("NAME" "rates-2023.csv" "CHARSET" "us-ascii") "<rates@example.org>" NIL "BASE64" 40 1 )imap"
              R"imap(NIL ("ATTACHMENT" ("FILENAME*" "UTF-8''%E2%82%AC%20rates%202023.csv")) ("en" "de") )imap"
              R"imap("https://example.org/rates.csv"))imap"
              R"imap( "MIXED" ("BOUNDARY" "----=_Part_42_1234567.1691591400000") NIL NIL NIL))imap");
    EXPECT_EQ(s.body,
              R"imap((("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 56 2))imap"
              R"imap(("APPLICATION" "PDF" ("NAME" "report.pdf") NIL "Q3 report" "BASE64" 122))imap"
              R"imap(("TEXT" "CSV" ("NAME" "rates-2023.csv" "CHARSET" "us-ascii") "<rates@example.org>" NIL "BASE64" 40 1))imap"
              R"imap( "MIXED"))imap");
    expect_parts(m, s,
                 {{"1", crlf("Frank, the report and the rate table are attached.\nErin")},
                  {"2", crlf("JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2cvUGFnZXMgMiAwIFI+PgplbmRv\n"
                             "YmoKdHJhaWxlcgo8PC9Sb290IDEgMCBSPj4KJSVFT0YK")},
                  {"3", "Y3VycmVuY3kscmF0ZQpFVVIsMS4wClVTRCwxLjEK"}});
    const MimePart* csv = find_part(s.root, {3});
    ASSERT_NE(csv, nullptr);
    EXPECT_EQ(csv->params, (MimeParams{{"name", "rates-2023.csv"}}));
    EXPECT_EQ(csv->disposition, "attachment");
    EXPECT_EQ(csv->language, "en, de");
    expect_round_trip(s);
}

TEST(Corpus, NestedMultipart) {
    std::string m = read_corpus("nested.eml");
    MessageSummary s = summarize_message(m);
    EXPECT_EQ(s.envelope,
              R"imap(("Thu, 10 Aug 2023 09:00:00 +0100" "Photo from the trip" (("Grace" NIL "grace" "example.co.uk")) )imap"
              R"imap((("Grace" NIL "grace" "example.co.uk")) (("Grace" NIL "grace" "example.co.uk")) )imap"
              R"imap((("Heidi" NIL "heidi" "example.com")) NIL NIL NIL "<trip-photo@example.co.uk>"))imap");
    EXPECT_EQ(s.bodystructure,
              R"imap(((("TEXT" "PLAIN" ("CHARSET" "iso-8859-1") NIL NIL "QUOTED-PRINTABLE" 50 1 NIL NIL NIL NIL))imap"
              R"imap(("TEXT" "HTML" ("CHARSET" "iso-8859-1") NIL NIL "QUOTED-PRINTABLE" 97 2 NIL NIL NIL NIL))imap"
              R"imap( "ALTERNATIVE" ("BOUNDARY" "inner-boundary-2") NIL NIL NIL))imap"
              R"imap(("IMAGE" "PNG" ("NAME" "photo.png") "<photo1@example.co.uk>" NIL "BASE64" 98 NIL )imap"
              R"imap(("INLINE" ("FILENAME" "photo.png")) NIL NIL))imap"
              R"imap( "MIXED" ("BOUNDARY" "outer-boundary-1") NIL NIL NIL))imap");
    EXPECT_EQ(s.body,
              R"imap(((("TEXT" "PLAIN" ("CHARSET" "iso-8859-1") NIL NIL "QUOTED-PRINTABLE" 50 1))imap"
              R"imap(("TEXT" "HTML" ("CHARSET" "iso-8859-1") NIL NIL "QUOTED-PRINTABLE" 97 2) "ALTERNATIVE"))imap"
              R"imap(("IMAGE" "PNG" ("NAME" "photo.png") "<photo1@example.co.uk>" NIL "BASE64" 98) "MIXED"))imap");
    std::string inner = crlf(
        "--inner-boundary-2\n"
        "Content-Type: text/plain; charset=iso-8859-1\n"
        "Content-Transfer-Encoding: quoted-printable\n\n"
        "Here is the photo from the trip. Sch=F6n, nicht?\n\n"
        "--inner-boundary-2\n"
        "Content-Type: text/html; charset=iso-8859-1\n"
        "Content-Transfer-Encoding: quoted-printable\n\n"
        "<p>Here is the photo from the trip. Sch=F6n, nicht?</p>\n"
        "<img src=3D\"cid:photo1@example.co.uk\">\n\n"
        "--inner-boundary-2--\n");
    expect_parts(m, s,
                 {{"1", inner},
                  {"1.1", crlf("Here is the photo from the trip. Sch=F6n, nicht?\n")},
                  {"1.2", crlf("<p>Here is the photo from the trip. Sch=F6n, nicht?</p>\n"
                               "<img src=3D\"cid:photo1@example.co.uk\">\n")},
                  {"2", crlf("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9\n"
                             "awAAAABJRU5ErkJggg==")}});
    EXPECT_EQ(find_part(s.root, path("1.3")), nullptr);
    EXPECT_EQ(find_part(s.root, path("2.1")), nullptr);   // a leaf has no parts
    expect_round_trip(s);
}

TEST(Corpus, AttachedMessageWithItsOwnMultipart) {
    std::string m = read_corpus("forwarded.eml");
    MessageSummary s = summarize_message(m);
    EXPECT_EQ(s.envelope,
              R"imap(("Fri, 11 Aug 2023 16:45:00 +0200" "Fwd: Meeting notes" (("Ivan" NIL "ivan" "example.org")) )imap"
              R"imap((("Secretary" NIL "secretary" "example.org")) (("Ivan" NIL "ivan" "example.org")) )imap"
              R"imap((("Judy" NIL "judy" "example.com")) NIL NIL NIL "<fwd-1@example.org>"))imap");
    std::string inner_envelope =
        R"imap(("Thu, 10 Aug 2023 17:00:00 +0200" "Meeting notes" (("Mallory" NIL "mallory" "example.net")) )imap"
        R"imap((("Mallory" NIL "mallory" "example.net")) (("Mallory" NIL "mallory" "example.net")) )imap"
        R"imap((("Ivan" NIL "ivan" "example.org")("Peggy" NIL "peggy" "example.net")) NIL NIL NIL )imap"
        R"imap("<notes-1@example.net>"))imap";
    EXPECT_EQ(s.bodystructure,
              R"imap((("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 34 1 NIL NIL NIL NIL))imap"
              R"imap(("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 504 )imap" +
                  inner_envelope +
                  R"imap( (("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 47 2 NIL NIL NIL NIL))imap"
                  R"imap(("TEXT" "HTML" ("CHARSET" "us-ascii") NIL NIL "7BIT" 66 1 NIL NIL NIL NIL))imap"
                  R"imap( "ALTERNATIVE" ("BOUNDARY" "notes") NIL NIL NIL) 18 NIL ("INLINE" NIL) NIL NIL))imap"
                  R"imap( "MIXED" ("BOUNDARY" "fwd") NIL NIL NIL))imap");
    EXPECT_EQ(s.body,
              R"imap((("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 34 1))imap"
              R"imap(("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 504 )imap" +
                  inner_envelope +
                  R"imap( (("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 47 2))imap"
                  R"imap(("TEXT" "HTML" ("CHARSET" "us-ascii") NIL NIL "7BIT" 66 1) "ALTERNATIVE") 18) "MIXED"))imap");
    std::string attached = crlf(
        "Date: Thu, 10 Aug 2023 17:00:00 +0200\n"
        "From: Mallory <mallory@example.net>\n"
        "To: Ivan <ivan@example.org>, Peggy <peggy@example.net>\n"
        "Subject: Meeting notes\n"
        "Message-ID: <notes-1@example.net>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/alternative; boundary=\"notes\"\n\n"
        "--notes\n"
        "Content-Type: text/plain; charset=us-ascii\n\n"
        "1. Budget approved.\n2. Next meeting on Monday.\n"
        "--notes\n"
        "Content-Type: text/html; charset=us-ascii\n\n"
        "<ol><li>Budget approved.</li><li>Next meeting on Monday.</li></ol>\n"
        "--notes--\n");
    expect_parts(m, s,
                 {{"1", crlf("See the forwarded message below.\n")},
                  {"2", attached},
                  {"2.1", crlf("1. Budget approved.\n2. Next meeting on Monday.")},
                  {"2.2", "<ol><li>Budget approved.</li><li>Next meeting on Monday.</li></ol>"}});
    // The encapsulated message's own header: BODY[2.HEADER].
    const MimePart* msg = find_part(s.root, {2});
    ASSERT_NE(msg, nullptr);
    ASSERT_EQ(msg->parts.size(), 1u);
    EXPECT_EQ(msg->envelope, inner_envelope);
    EXPECT_TRUE(header_of(m, msg->parts[0]).starts_with("Date: Thu, 10 Aug 2023 17:00:00 +0200\r\n"));
    EXPECT_TRUE(header_of(m, msg->parts[0]).ends_with("boundary=\"notes\"\r\n\r\n"));
    EXPECT_EQ(find_part(s.root, path("2.3")), nullptr);
    expect_round_trip(s);
}

TEST(Corpus, Digest) {
    std::string m = read_corpus("digest.eml");
    MessageSummary s = summarize_message(m);
    EXPECT_EQ(s.envelope,
              R"imap(("Sat, 12 Aug 2023 00:00:00 +0000" "example-list digest, Vol 1, Issue 2" )imap"
              R"imap(((NIL NIL "list-owner" "lists.example.org")) ((NIL NIL "list-owner" "lists.example.org")) )imap"
              R"imap(((NIL NIL "list-owner" "lists.example.org")) ((NIL NIL "list-digest" "lists.example.org")) )imap"
              R"imap(NIL NIL NIL "<digest-1-2@lists.example.org>"))imap");
    EXPECT_EQ(s.bodystructure,
              R"imap((("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 29 1 NIL NIL NIL NIL))imap"
              R"imap(("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 108 ("Fri, 11 Aug 2023 10:00:00 +0000" "First post" )imap"
              R"imap((("Oscar" NIL "oscar" "example.com")) (("Oscar" NIL "oscar" "example.com")) )imap"
              R"imap((("Oscar" NIL "oscar" "example.com")) NIL NIL NIL NIL NIL) )imap"
              R"imap(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 13 1 NIL NIL NIL NIL) 5 NIL NIL NIL NIL))imap"
              R"imap(("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 146 ("Fri, 11 Aug 2023 11:00:00 +0000" "Re: First post" )imap"
              R"imap((("Pat" NIL "pat" "example.net")) (("Pat" NIL "pat" "example.net")) (("Pat" NIL "pat" "example.net")) )imap"
              R"imap(NIL NIL NIL "<first@example.com>" NIL) )imap"
              R"imap(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 17 1 NIL NIL NIL NIL) 6 NIL NIL NIL NIL))imap"
              R"imap( "DIGEST" ("BOUNDARY" "digest-sep") NIL NIL NIL))imap");
    expect_parts(m, s,
                 {{"1", crlf("Today's topics: 2 messages.\n")},
                  {"2", crlf("From: Oscar <oscar@example.com>\nSubject: First post\n"
                             "Date: Fri, 11 Aug 2023 10:00:00 +0000\n\nHello list.\n")},
                  {"2.1", crlf("Hello list.\n")},
                  {"3.1", crlf("Welcome, Oscar.\n")}});
    const MimePart* p2 = find_part(s.root, {2});
    ASSERT_NE(p2, nullptr);
    EXPECT_EQ(p2->header_size, 2u);   // the part header is just the empty line
    expect_round_trip(s);
}

TEST(Corpus, OddBoundaryCharactersAndLookalikeLines) {
    std::string m = read_corpus("bad_boundaries.eml");
    MessageSummary s = summarize_message(m);
    EXPECT_EQ(s.envelope,
              R"imap(("Sun, 13 Aug 2023 12:00:00 +0000" "Odd boundaries" (("Quentin" NIL "quentin" "example.com")) )imap"
              R"imap((("Quentin" NIL "quentin" "example.com")) (("Quentin" NIL "quentin" "example.com")) )imap"
              R"imap((("Rupert" NIL "rupert" "example.com")) NIL NIL NIL NIL))imap");
    EXPECT_EQ(s.bodystructure,
              R"imap((("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 177 4 NIL NIL NIL NIL))imap"
              R"imap(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 12 1 NIL NIL NIL NIL))imap"
              R"imap( "MIXED" ("BOUNDARY" "=_a b'(c)+,-./:=?x") NIL NIL NIL))imap");
    expect_parts(m, s,
                 {{"1", crlf("A line that starts like the boundary but goes on:\n"
                             "--=_a b'(c)+,-./:=?xylophone\n"
                             "and one that looks like a close delimiter with text after it:\n"
                             "--=_a b'(c)+,-./:=?x-- not really")},
                  {"2", "Second part."}});
    EXPECT_EQ(find_part(s.root, {3}), nullptr);   // after the close delimiter: epilogue
    expect_round_trip(s);
}

TEST(Corpus, MissingCloseDelimiters) {
    std::string m = read_corpus("unclosed.eml");
    MessageSummary s = summarize_message(m);
    EXPECT_EQ(s.envelope,
              R"imap(("Mon, 14 Aug 2023 07:30:00 +0000" "Truncated by a broken mailer" )imap"
              R"imap((("Sybil" NIL "sybil" "example.org")) (("Sybil" NIL "sybil" "example.org")) )imap"
              R"imap((("Sybil" NIL "sybil" "example.org")) (("Trent" NIL "trent" "example.org")) NIL NIL NIL NIL))imap");
    EXPECT_EQ(s.bodystructure,
              R"imap(((("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 14 1 NIL NIL NIL NIL))imap"
              R"imap(("TEXT" "HTML" ("CHARSET" "us-ascii") NIL NIL "7BIT" 34 1 NIL NIL NIL NIL))imap"
              R"imap( "ALTERNATIVE" ("BOUNDARY" "inner") NIL NIL NIL))imap"
              R"imap(("APPLICATION" "OCTET-STREAM" ("NAME" "data.bin") NIL NIL "BASE64" 18 NIL NIL NIL NIL))imap"
              R"imap( "MIXED" ("BOUNDARY" "outer") NIL NIL NIL))imap");
    // The unclosed inner multipart ends where its parent part ends; the
    // unclosed outer one at the end of the message.
    expect_parts(m, s,
                 {{"1.1", "Plain version."},
                  {"1.2", "<p>HTML version, never closed.</p>"},
                  {"2", crlf("AAECAwQFBgcICQ==\n")}});
    expect_round_trip(s);
}

TEST(Corpus, LfOnlyLineEnds) {
    std::string m = read_corpus("lf_only.eml");
    ASSERT_EQ(m.find('\r'), std::string::npos);
    MessageSummary s = summarize_message(m);
    EXPECT_EQ(s.envelope,
              R"imap(("Tue, 15 Aug 2023 03:00:01 +0000" "cron output" (("Unix User" NIL "user" "localhost.example")) )imap"
              R"imap((("Unix User" NIL "user" "localhost.example")) (("Unix User" NIL "user" "localhost.example")) )imap"
              R"imap(((NIL NIL "root" "MISSING_DOMAIN")) NIL NIL NIL NIL))imap");
    EXPECT_EQ(s.bodystructure,
              R"imap((("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 19 2 NIL NIL NIL NIL))imap"
              R"imap(("TEXT" "PLAIN" ("NAME" "log.txt" "CHARSET" "us-ascii") NIL NIL "7BIT" 13 2 NIL )imap"
              R"imap(("ATTACHMENT" ("FILENAME" "log.txt")) NIL NIL) "MIXED" ("BOUNDARY" "lf") NIL NIL NIL))imap");
    expect_parts(m, s, {{"1", "backup done\n2 files"}, {"2", "line 1\nline 2"}});
    const MimePart* p2 = find_part(s.root, {2});
    ASSERT_NE(p2, nullptr);
    EXPECT_EQ(header_of(m, *p2), "Content-Type: text/plain; name=log.txt\n"
                                 "Content-Disposition: attachment; filename=log.txt\n\n");
    expect_round_trip(s);
}

TEST(Corpus, EncodedWordsPassThrough) {
    std::string m = read_corpus("encoded_words.eml");
    MessageSummary s = summarize_message(m);
    EXPECT_EQ(s.envelope,
              R"imap(("Wed, 16 Aug 2023 18:20:00 +0200" "=?UTF-8?B?w4dhIHZhPw==?= =?UTF-8?Q?_Tr=C3=A8s_bien?=" )imap"
              R"imap((("=?ISO-8859-1?Q?Andr=E9_Dupont?=" NIL "andre" "example.fr")) )imap"
              R"imap((("=?ISO-8859-1?Q?Andr=E9_Dupont?=" NIL "andre" "example.fr")) )imap"
              R"imap((("=?ISO-8859-1?Q?Andr=E9_Dupont?=" NIL "andre" "example.fr")) )imap"
              R"imap((("=?UTF-8?B?5bGx55Sw5aSq6YOO?=" NIL "yamada" "example.jp")) NIL NIL NIL "<ew-1@example.fr>"))imap");
    EXPECT_EQ(s.bodystructure,
              R"imap(("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 35 1 NIL NIL NIL NIL))imap");
    expect_parts(m, s, {{"1", crlf("=C3=87a va tr=C3=A8s bien, merci.\n")}});
    expect_round_trip(s);
}

TEST(Corpus, EightBitHeadersBecomeLiterals) {
    std::string m = read_corpus("utf8_header.eml");
    MessageSummary s = summarize_message(m);
    EXPECT_EQ(s.envelope,
              "(\"Thu, 17 Aug 2023 11:11:11 +0200\" {20}\r\nGr\xC3\xBC\xC3\x9F" "e aus M\xC3\xBCnchen "
              "(({15}\r\nJ\xC3\xBCrgen M\xC3\xBCller NIL \"juergen\" \"example.de\")) "
              "(({15}\r\nJ\xC3\xBCrgen M\xC3\xBCller NIL \"juergen\" \"example.de\")) "
              "(({15}\r\nJ\xC3\xBCrgen M\xC3\xBCller NIL \"juergen\" \"example.de\")) "
              "(({11}\r\nZo\xC3\xAB \xC3\x84rger NIL \"zoe\" \"example.de\")) NIL NIL NIL \"<utf8-1@example.de>\")");
    EXPECT_EQ(s.bodystructure,
              R"imap(("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "8BIT" 24 2 NIL NIL NIL NIL))imap");
    expect_parts(m, s, {{"1", crlf("Viele Gr\xC3\xBC\xC3\x9F" "e\nJ\xC3\xBCrgen\n")}});
    expect_round_trip(s);
}

TEST(Corpus, GroupSyntax) {
    std::string m = read_corpus("group.eml");
    MessageSummary s = summarize_message(m);
    EXPECT_EQ(s.envelope,
              R"imap(("Fri, 18 Aug 2023 09:00:00 -0400" "Group syntax" (("Victor" NIL "victor" "example.com")) )imap"
              R"imap((("Walter" NIL "walter" "example.com")) )imap"
              R"imap(((NIL NIL "Team Replies" NIL)(NIL NIL "replies" "example.com")("Victor V." NIL "victor" "example.com"))imap"
              R"imap((NIL NIL NIL NIL)) )imap"
              R"imap(((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) )imap"
              R"imap(((NIL NIL "Team" NIL)(NIL NIL "ann" "example.com")("Bob Jones" NIL "bob" "example.com")(NIL NIL NIL NIL))imap"
              R"imap((NIL "@relay.example.net,@hop.example.org" "carl" "example.org")) )imap"
              R"imap(((NIL NIL "victor" "example.com")) NIL "<groups@example.com>"))imap");
    EXPECT_EQ(s.bodystructure,
              R"imap(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 18 1 NIL NIL NIL NIL))imap");
    expect_round_trip(s);
}

TEST(Corpus, NoHeaderBodySeparator) {
    std::string m = read_corpus("no_separator.eml");
    MessageSummary s = summarize_message(m);
    EXPECT_EQ(s.envelope,
              R"imap(("Sat, 19 Aug 2023 20:00:00 +0000" "Header only, no body" (("Yvonne" NIL "yvonne" "example.com")) )imap"
              R"imap((("Yvonne" NIL "yvonne" "example.com")) (("Yvonne" NIL "yvonne" "example.com")) NIL NIL NIL NIL NIL))imap");
    EXPECT_EQ(s.bodystructure, R"imap(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 0 0 NIL NIL NIL NIL))imap");
    EXPECT_EQ(s.root.header_size, m.size());
    EXPECT_EQ(s.root.body_offset, m.size());
    EXPECT_EQ(s.root.body_size, 0u);
    expect_round_trip(s);
}
