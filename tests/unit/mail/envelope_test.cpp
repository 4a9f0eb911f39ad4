// ENVELOPE of unusual header forms (src/mail/imap_render.hpp). The first
// group is Dovecot imaptest's fetch-envelope script: its messages and the
// ENVELOPEs it expects, byte for byte. The rest pins the forms around it
// (NIL versus "", defaults, raw encoded words) to what Dovecot sends.
#include <gtest/gtest.h>

#include "mail/imap_render.hpp"

using namespace ringpost::mail;

namespace {

constexpr std::string_view kDate = "Date: Thu, 15 Feb 2007 01:02:03 +0200\r\n";
constexpr std::string_view kDateString = "\"Thu, 15 Feb 2007 01:02:03 +0200\"";

// The ENVELOPE of a message whose header section is kDate plus `fields`
// (each line ending in CRLF) and the empty line.
std::string envelope_of(std::string_view fields) {
    std::string header(kDate);
    header += fields;
    header += "\r\n";
    return render_envelope(header);
}

// "(date subject from sender reply-to to cc bcc in-reply-to message-id)"
// with kDateString as the date.
std::string expected(std::string_view rest) { return "(" + std::string(kDateString) + " " + std::string(rest) + ")"; }

}  // namespace

TEST(ImaptestFetchEnvelope, AllFieldsPresent) {
    std::string header =
        "Message-ID: <msg@id>\r\n"
        "In-Reply-To: <reply@to.id>\r\n"
        "Date: Thu, 15 Feb 2007 01:02:03 +0200\r\n"
        "Subject: subject header\r\n"
        "From: From Real <fromuser@fromdomain.org>\r\n"
        "To: To Real <touser@todomain.org>\r\n"
        "Cc: Cc Real <ccuser@ccdomain.org>\r\n"
        "Bcc: Bcc Real <bccuser@bccdomain.org>\r\n"
        "Sender: Sender Real <senderuser@senderdomain.org>\r\n"
        "Reply-To: ReplyTo Real <replytouser@replytodomain.org>\r\n"
        "\r\n";
    EXPECT_EQ(render_envelope(header),
              expected("\"subject header\" ((\"From Real\" NIL \"fromuser\" \"fromdomain.org\")) "
                       "((\"Sender Real\" NIL \"senderuser\" \"senderdomain.org\")) "
                       "((\"ReplyTo Real\" NIL \"replytouser\" \"replytodomain.org\")) "
                       "((\"To Real\" NIL \"touser\" \"todomain.org\")) ((\"Cc Real\" NIL \"ccuser\" \"ccdomain.org\")) "
                       "((\"Bcc Real\" NIL \"bccuser\" \"bccdomain.org\")) \"<reply@to.id>\" \"<msg@id>\""));
}

TEST(ImaptestFetchEnvelope, BareAddressIsSenderAndReplyToToo) {
    EXPECT_EQ(envelope_of("From: user@domain\r\n"),
              expected("NIL ((NIL NIL \"user\" \"domain\")) ((NIL NIL \"user\" \"domain\")) "
                       "((NIL NIL \"user\" \"domain\")) NIL NIL NIL NIL NIL"));
}

TEST(ImaptestFetchEnvelope, CommentIsTheNameAndGroupsIncludingEmptyOnes) {
    EXPECT_EQ(envelope_of("From: user@domain (Real Name)\r\n"
                          "To: group: g1@d1.org, g2@d2.org;, group2: g3@d3.org;\r\n"
                          "Cc: group:;, group2: ;\r\n"),
              expected("NIL ((\"Real Name\" NIL \"user\" \"domain\")) ((\"Real Name\" NIL \"user\" \"domain\")) "
                       "((\"Real Name\" NIL \"user\" \"domain\")) "
                       "((NIL NIL \"group\" NIL)(NIL NIL \"g1\" \"d1.org\")(NIL NIL \"g2\" \"d2.org\")(NIL NIL NIL NIL)"
                       "(NIL NIL \"group2\" NIL)(NIL NIL \"g3\" \"d3.org\")(NIL NIL NIL NIL)) "
                       "((NIL NIL \"group\" NIL)(NIL NIL NIL NIL)(NIL NIL \"group2\" NIL)(NIL NIL NIL NIL)) "
                       "NIL NIL NIL"));
}

TEST(ImaptestFetchEnvelope, EmptySenderAndReplyToDefaultToFrom) {
    EXPECT_EQ(envelope_of("From: user@domain (Real Name)\r\nSender: \r\nReply-To: \r\n"),
              expected("NIL ((\"Real Name\" NIL \"user\" \"domain\")) ((\"Real Name\" NIL \"user\" \"domain\")) "
                       "((\"Real Name\" NIL \"user\" \"domain\")) NIL NIL NIL NIL NIL"));
}

TEST(ImaptestFetchEnvelope, SourceRoute) {
    EXPECT_EQ(envelope_of("From: <@route:user@domain>\r\n"),
              expected("NIL ((NIL \"@route\" \"user\" \"domain\")) ((NIL \"@route\" \"user\" \"domain\")) "
                       "((NIL \"@route\" \"user\" \"domain\")) NIL NIL NIL NIL NIL"));
}

// An empty field is "", an absent one NIL; an empty address list is NIL.
TEST(Envelope, EmptyStringsAreEmptyAndAbsentOnesNil) {
    EXPECT_EQ(render_envelope("Date: \r\nSubject:\r\nTo: \r\nMessage-ID: \r\n\r\n"),
              "(\"\" \"\" NIL NIL NIL NIL NIL NIL NIL \"\")");
    EXPECT_EQ(render_envelope(""), "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
}

TEST(Envelope, MissingPartsQuotedLocalPartsAndRawEncodedWords) {
    EXPECT_EQ(envelope_of("From: root\r\nTo: \"john doe\"@example.com, Real Name\r\n"
                          "Cc: =?UTF-8?Q?J=C3=BCrgen?= <j@x>\r\nBcc: <>\r\n"),
              expected("NIL ((NIL NIL \"root\" \"MISSING_DOMAIN\")) ((NIL NIL \"root\" \"MISSING_DOMAIN\")) "
                       "((NIL NIL \"root\" \"MISSING_DOMAIN\")) "
                       "((NIL NIL \"john doe\" \"example.com\")(\"Real Name\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) "
                       "((\"=?UTF-8?Q?J=C3=BCrgen?=\" NIL \"j\" \"x\")) "
                       "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) NIL NIL"));
}

// In-Reply-To and Message-ID are sent as written (unfolded), whatever their
// form; the first of repeated fields counts.
TEST(Envelope, MessageIdFormsAndRepeatedFields) {
    EXPECT_EQ(envelope_of("In-Reply-To: <a@b> (comment)\r\n <c@d>\r\nMessage-ID: no-brackets@x\r\n"
                          "From: first@x\r\nFrom: second@x\r\n"),
              expected("NIL ((NIL NIL \"first\" \"x\")) ((NIL NIL \"first\" \"x\")) ((NIL NIL \"first\" \"x\")) "
                       "NIL NIL NIL \"<a@b> (comment) <c@d>\" \"no-brackets@x\""));
}
