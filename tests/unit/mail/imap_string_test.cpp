// IMAP quoted strings and literals (src/mail/imap_string.hpp).
#include "mail/imap_string.hpp"

#include <gtest/gtest.h>

using namespace ringpost::mail;

namespace {

std::string str(std::string_view s) {
    std::string out;
    append_imap_string(out, s);
    return out;
}

std::string nstr(std::string_view s) {
    std::string out;
    append_imap_nstring(out, s);
    return out;
}

}  // namespace

TEST(ImapString, QuotedWithEscapes) {
    EXPECT_EQ(str("plain"), "\"plain\"");
    EXPECT_EQ(str(""), "\"\"");
    EXPECT_EQ(str(R"(a "b" \c)"), R"("a \"b\" \\c")");
    EXPECT_EQ(str("tab\there"), "\"tab\there\"");
}

TEST(ImapString, EightBitCrAndLfBecomeLiterals) {
    EXPECT_EQ(str("Gr\xC3\xBC\xC3\x9F" "e"), "{7}\r\nGr\xC3\xBC\xC3\x9F" "e");
    EXPECT_EQ(str("a\r\nb"), "{4}\r\na\r\nb");
    EXPECT_EQ(str("\xFF\"\\"), "{3}\r\n\xFF\"\\");   // no escaping inside a literal
}

TEST(ImapString, NulIsDropped) {
    EXPECT_EQ(str(std::string_view("a\0b", 3)), "\"ab\"");
    EXPECT_EQ(str(std::string_view("\xC3\0\xBC", 3)), "{2}\r\n\xC3\xBC");
}

TEST(ImapString, EmptyNStringIsNil) {
    EXPECT_EQ(nstr(""), "NIL");
    EXPECT_EQ(nstr("x"), "\"x\"");
}
