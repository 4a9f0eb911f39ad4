// RFC 5322 address lists as ENVELOPE needs them (src/mail/address_list.hpp).
#include "mail/address_list.hpp"

#include <gtest/gtest.h>

using namespace ringpost::mail;

namespace {

// One line per entry: "name|route|mailbox|host", "group:name", "end".
std::string show(std::string_view value) {
    std::string out;
    for (const Address& a : parse_address_list(value)) {
        switch (a.kind) {
            case Address::Kind::kMailbox:
                out += a.name + "|" + a.route + "|" + a.mailbox + "|" + a.host;
                break;
            case Address::Kind::kGroupStart:
                out += "group:" + a.mailbox;
                break;
            case Address::Kind::kGroupEnd:
                out += "end";
                break;
        }
        out += "\n";
    }
    return out;
}

}  // namespace

TEST(AddressList, AddrSpecAndNameAddr) {
    EXPECT_EQ(show("a@example.com"), "||a|example.com\n");
    EXPECT_EQ(show("Alice Example <alice@example.org>"), "Alice Example||alice|example.org\n");
    EXPECT_EQ(show("<bob@example.com>"), "||bob|example.com\n");
    EXPECT_EQ(show("a@x, B <b@y>,c@z"), "||a|x\nB||b|y\n||c|z\n");
}

TEST(AddressList, QuotedDisplayNamesAndLocalParts) {
    EXPECT_EQ(show(R"("Doe, John" <j@x>)"), "Doe, John||j|x\n");
    EXPECT_EQ(show(R"("a \"b\" c" <j@x>)"), "a \"b\" c||j|x\n");
    EXPECT_EQ(show(R"("john doe"@example.com)"), "||john doe|example.com\n");
    EXPECT_EQ(show(R"(Name <"odd@local"@example.com>)"), "Name||odd@local|example.com\n");
    EXPECT_EQ(show(R"("" <j@x>)"), "||j|x\n");   // empty name is NIL
}

// A comment names a bare addr-spec (imaptest fetch-envelope, as Dovecot):
// the last one in or after it; one before it names nothing. With a display
// name or angle brackets, comments are dropped.
TEST(AddressList, CommentNamesABareAddress) {
    EXPECT_EQ(show("carol@example.net (Carol at home)"), "Carol at home||carol|example.net\n");
    EXPECT_EQ(show("user@domain (Real Name), b@c"), "Real Name||user|domain\n||b|c\n");
    EXPECT_EQ(show("a(first)@b (second)"), "second||a|b\n");
    EXPECT_EQ(show("(lead) a@b"), "||a|b\n");
    EXPECT_EQ(show("a@b (x (nested) y)"), "x (nested) y||a|b\n");
    EXPECT_EQ(show("a@b (escaped \\) paren)"), "escaped ) paren||a|b\n");
    EXPECT_EQ(show("a@b (unclosed"), "||a|b\n");
    EXPECT_EQ(show("root (Charlie Root)"), "Charlie Root||root|MISSING_DOMAIN\n");
    EXPECT_EQ(show("Team: a@b (A), c@d;"), "group:Team\nA||a|b\n||c|d\nend\n");
    EXPECT_EQ(show("(lead) Carol (mid (nested)) <carol(x)@example.net (y)> (tail)"), "Carol||carol|example.net\n");
    EXPECT_EQ(show("<carol@example.net> (tail)"), "||carol|example.net\n");
}

TEST(AddressList, ObsoleteForms) {
    EXPECT_EQ(show("John Q. Public <jqp@example.com>"), "John Q. Public||jqp|example.com\n");
    EXPECT_EQ(show("john . doe @ example . com"), "||john.doe|example.com\n");
    EXPECT_EQ(show("<@a.example,@b.example:c@d.example>"), "|@a.example,@b.example|c|d.example\n");
    EXPECT_EQ(show("x@[192.0.2.1]"), "||x|[192.0.2.1]\n");
    EXPECT_EQ(show(",, a@b ,,"), "||a|b\n");
}

TEST(AddressList, Groups) {
    EXPECT_EQ(show("undisclosed-recipients:;"), "group:undisclosed-recipients\nend\n");
    EXPECT_EQ(show("Team: a@x, B <b@y>; c@z"), "group:Team\n||a|x\nB||b|y\nend\n||c|z\n");
    EXPECT_EQ(show("\"My Group\": a@x"), "group:My Group\n||a|x\nend\n");   // unclosed group
}

TEST(AddressList, MissingPartsAreFilledLikeDovecot) {
    EXPECT_EQ(show("root"), "||root|MISSING_DOMAIN\n");
    // Words and no address at all: a display name (as Dovecot reads them).
    EXPECT_EQ(show("Real Name"), "Real Name||MISSING_MAILBOX|MISSING_DOMAIN\n");
    EXPECT_EQ(show("Real Name, a@b"), "Real Name||MISSING_MAILBOX|MISSING_DOMAIN\n||a|b\n");
    EXPECT_EQ(show("a.b c"), "a.b c||MISSING_MAILBOX|MISSING_DOMAIN\n");
    EXPECT_EQ(show("john . doe"), "||john.doe|MISSING_DOMAIN\n");   // dots make it one local part
    EXPECT_EQ(show("@example.com"), "||MISSING_MAILBOX|example.com\n");
    EXPECT_EQ(show("<>"), "||MISSING_MAILBOX|MISSING_DOMAIN\n");
    EXPECT_EQ(show("Name <a@b"), "Name||a|b\n");
}

TEST(AddressList, EncodedWordsAndEightBitPassThrough) {
    EXPECT_EQ(show("=?UTF-8?Q?J=C3=BCrgen?= <j@x>"), "=?UTF-8?Q?J=C3=BCrgen?=||j|x\n");
    EXPECT_EQ(show("J\xC3\xBCrgen <j@x>"), "J\xC3\xBCrgen||j|x\n");
    EXPECT_EQ(show("j\xC3\xBC@b\xC3\xBC.example"), "||j\xC3\xBC|b\xC3\xBC.example\n");
}

TEST(AddressList, GarbageEndsAndKeepsWhatItCan) {
    EXPECT_EQ(show(""), "");
    EXPECT_EQ(show("   "), "");
    EXPECT_EQ(show(">>>;;;"), "");
    EXPECT_EQ(show("<a@b> junk> , c@d"), "||a|b\n||junk|MISSING_DOMAIN\n||c|d\n");
    EXPECT_EQ(show("\"unterminated <a@b>"), "||unterminated <a@b>|MISSING_DOMAIN\n");
    EXPECT_EQ(show("(unterminated comment a@b"), "");
    EXPECT_EQ(show("a: b: c@d;;"), "group:a\n||b|MISSING_DOMAIN\n||c|d\nend\n");
}
