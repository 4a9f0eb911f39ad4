// IMAP section addressing: find_part (RFC 3501 6.4.5) and
// HEADER.FIELDS / HEADER.FIELDS.NOT (src/mail/mime_section.cpp).
#include <gtest/gtest.h>

#include "mail/mime.hpp"
#include "test_util.hpp"

using namespace ringpost::mail;
using namespace ringpost::mail::test;

namespace {

// RFC 3501 6.4.5's example message, shape only:
//   1 TEXT/PLAIN, 2 APPLICATION/OCTET-STREAM, 3 MESSAGE/RFC822 (3.1
//   TEXT/PLAIN), 4 MULTIPART/MIXED (4.1 IMAGE/GIF, 4.2 MESSAGE/RFC822
//   (4.2.1 TEXT/PLAIN, 4.2.2 MULTIPART/ALTERNATIVE (4.2.2.1 TEXT/PLAIN,
//   4.2.2.2 TEXT/RICHTEXT)))
const std::string kRfc3501Example = crlf(
    "Subject: example\n"
    "Content-Type: multipart/mixed; boundary=a\n\n"
    "--a\n\npart 1\n"
    "--a\nContent-Type: application/octet-stream\n\npart 2\n"
    "--a\nContent-Type: message/rfc822\n\nSubject: inner 3\n\npart 3.1\n"
    "--a\nContent-Type: multipart/mixed; boundary=b\n\n"
    "--b\nContent-Type: image/gif\n\npart 4.1\n"
    "--b\nContent-Type: message/rfc822\n\n"
    "Subject: inner 4.2\nContent-Type: multipart/mixed; boundary=c\n\n"
    "--c\n\npart 4.2.1\n"
    "--c\nContent-Type: multipart/alternative; boundary=d\n\n"
    "--d\n\npart 4.2.2.1\n"
    "--d\nContent-Type: text/richtext\n\npart 4.2.2.2\n"
    "--d--\n--c--\n--b--\n--a--\n");

std::string type_at(const MimePart& root, std::string_view dotted) {
    const MimePart* p = find_part(root, path(dotted));
    return p ? p->type + "/" + p->subtype : "none";
}

}  // namespace

TEST(FindPart, Rfc3501SectionExample) {
    MessageSummary s = summarize_message(kRfc3501Example);
    const MimePart& r = s.root;
    EXPECT_EQ(type_at(r, ""), "multipart/mixed");
    EXPECT_EQ(type_at(r, "1"), "text/plain");
    EXPECT_EQ(type_at(r, "2"), "application/octet-stream");
    EXPECT_EQ(type_at(r, "3"), "message/rfc822");
    EXPECT_EQ(type_at(r, "3.1"), "text/plain");   // the body of the encapsulated message
    EXPECT_EQ(type_at(r, "4"), "multipart/mixed");
    EXPECT_EQ(type_at(r, "4.1"), "image/gif");
    EXPECT_EQ(type_at(r, "4.2"), "message/rfc822");
    EXPECT_EQ(type_at(r, "4.2.1"), "text/plain");
    EXPECT_EQ(type_at(r, "4.2.2"), "multipart/alternative");
    EXPECT_EQ(type_at(r, "4.2.2.1"), "text/plain");
    EXPECT_EQ(type_at(r, "4.2.2.2"), "text/richtext");
    for (const char* bad : {"0", "5", "1.1", "2.1", "3.2", "3.1.1", "4.3", "4.2.3", "4.2.2.3", "4.2.2.1.1", "4.0"})
        EXPECT_EQ(type_at(r, bad), "none") << bad;

    EXPECT_EQ(body_of(kRfc3501Example, *find_part(r, path("3.1"))), "part 3.1");
    EXPECT_EQ(body_of(kRfc3501Example, *find_part(r, path("4.2.2.2"))), "part 4.2.2.2");
    // 3.1's header is the encapsulated message's header (BODY[3.HEADER]).
    EXPECT_EQ(header_of(kRfc3501Example, *find_part(r, path("3.1"))), crlf("Subject: inner 3\n\n"));
    // 3's header is its MIME header (BODY[3.MIME]).
    EXPECT_EQ(header_of(kRfc3501Example, *find_part(r, path("3"))), crlf("Content-Type: message/rfc822\n\n"));
}

TEST(FindPart, SinglePartMessageHasPartOne) {
    std::string m = crlf("Subject: x\n\nbody\n");
    MessageSummary s = summarize_message(m);
    EXPECT_EQ(find_part(s.root, {}), &s.root);
    EXPECT_EQ(find_part(s.root, {1}), &s.root);
    EXPECT_EQ(find_part(s.root, {2}), nullptr);
    EXPECT_EQ(find_part(s.root, {1, 1}), nullptr);
    EXPECT_EQ(body_of(m, *find_part(s.root, {1})), crlf("body\n"));
}

TEST(FindPart, TopLevelMessageRfc822) {
    std::string m = crlf("Content-Type: message/rfc822\n\nSubject: inner\n\ninner body\n");
    MessageSummary s = summarize_message(m);
    EXPECT_EQ(type_at(s.root, "1"), "message/rfc822");
    EXPECT_EQ(type_at(s.root, "1.1"), "text/plain");
    EXPECT_EQ(body_of(m, *find_part(s.root, {1, 1})), crlf("inner body\n"));
}

TEST(HeaderFields, SelectedFieldsInOriginalOrderAndForm) {
    std::string header = crlf(
        "Received: from a\n\tby b\n"
        "Subject: Hello\n  world\n"
        "From: a@example.com\n"
        "X-Spam: yes\n"
        "subject: second\n\n"
        "Body-Line: not a header\n");
    EXPECT_EQ(header_fields(header, {"SUBJECT", "from"}, false),
              crlf("Subject: Hello\n  world\nFrom: a@example.com\nsubject: second\n\n"));
    EXPECT_EQ(header_fields(header, {"subject", "from"}, true), crlf("Received: from a\n\tby b\nX-Spam: yes\n\n"));
}

TEST(HeaderFields, NothingMatchesGivesTheEmptyLine) {
    EXPECT_EQ(header_fields(crlf("A: 1\n\n"), {"B"}, false), "\r\n");
    EXPECT_EQ(header_fields(crlf("A: 1\n\n"), {"a"}, true), "\r\n");
    EXPECT_EQ(header_fields("", {"a"}, false), "\r\n");
    EXPECT_EQ(header_fields("", {}, true), "");   // no empty line to keep (see below)
}

// RFC 3501 6.4.5: the empty line is in every header fetch "except in the
// case of a message which has no body and no blank line". HEADER.FIELDS.NOT
// keeps it only when the message has it; HEADER.FIELDS always ends in it,
// as Dovecot serves both (it answers HEADER.FIELDS from its header cache).
TEST(HeaderFields, HeaderOnlyMessageWithoutEmptyLine) {
    EXPECT_EQ(header_fields(crlf("A: 1\nB: 2\n"), {"a"}, true), crlf("B: 2\n"));
    EXPECT_EQ(header_fields("A: 1\r\nB: 2", {"a"}, true), "B: 2\r\n");
    EXPECT_EQ(header_fields("A: 1\nB: 2\n", {}, true), "A: 1\r\nB: 2\r\n");
    EXPECT_EQ(header_fields(crlf("A: 1\nB: 2\n"), {"a"}, false), crlf("A: 1\n\n"));
    // With the empty line (a body or not), it stays.
    EXPECT_EQ(header_fields(crlf("A: 1\nB: 2\n\n"), {"a"}, true), crlf("B: 2\n\n"));
    EXPECT_EQ(header_fields("A: 1\n\n", {"a"}, true), "\r\n");
    EXPECT_EQ(header_fields("\r\n", {}, true), "\r\n");
}

TEST(HeaderFields, NamesMatchWholeAndSpaceBeforeColon) {
    std::string header = crlf("To: a\nTo-Do: b\nTo : c\n\n");
    EXPECT_EQ(header_fields(header, {"to"}, false), crlf("To: a\nTo : c\n\n"));
    EXPECT_EQ(header_fields(header, {"to"}, true), crlf("To-Do: b\n\n"));
}

TEST(HeaderFields, BareLfAndMissingLastLineEndBecomeCrlf) {
    EXPECT_EQ(header_fields("A: 1\nB: 2\n c\n\n", {"b"}, false), "B: 2\r\n c\r\n\r\n");
    EXPECT_EQ(header_fields("A: 1\r\nB: 2", {"b"}, false), "B: 2\r\n\r\n");
    // A line without a colon is no field name anyone asks for.
    EXPECT_EQ(header_fields(crlf("junk line\nA: 1\n\n"), {"a"}, true), crlf("junk line\n\n"));
}
