// What SEARCH compares with (src/mail/search_text.hpp) and the linear-time
// matcher (src/mail/substring_matcher.hpp).
#include <gtest/gtest.h>

#include "mail/header_block.hpp"
#include "mail/mime.hpp"
#include "mail/search_text.hpp"
#include "mail/substring_matcher.hpp"
#include "test_util.hpp"

using namespace ringpost::mail;
using ringpost::mail::test::crlf;

namespace {

bool found(std::string_view needle, std::string_view text) {
    return SubstringMatcher(search_key_text(needle)).found_in(text);
}

std::string body_text(const std::string& msg, size_t cap = kMaxBodySearchText) {
    return body_search_text(msg, summarize_message(msg).root, cap);
}

TEST(SubstringMatcher, FindsAndMisses) {
    EXPECT_TRUE(SubstringMatcher("").found_in(""));
    EXPECT_TRUE(SubstringMatcher("abc").found_in("xxabcxx"));
    EXPECT_TRUE(SubstringMatcher("abc").found_in("abc"));
    EXPECT_FALSE(SubstringMatcher("abc").found_in("ab"));
    EXPECT_FALSE(SubstringMatcher("abd").found_in("ababcabc"));
    EXPECT_TRUE(SubstringMatcher("abab").found_in("abaabab"));   // a restart inside a partial match
    EXPECT_TRUE(SubstringMatcher("aab").found_in("aaab"));
}

TEST(SubstringMatcher, LongNeedleOverMultiMiBBody) {
    // The worst case for a naive search: text of one letter, a needle of
    // that letter with one other at the end. KMP scans the text once.
    const std::string text(8 * 1024 * 1024, 'a');
    std::string needle(64 * 1024, 'a');
    needle.back() = 'b';
    EXPECT_FALSE(SubstringMatcher(needle).found_in(text));
    std::string with_match = text;
    with_match.replace(with_match.size() - needle.size(), needle.size(), needle);
    EXPECT_TRUE(SubstringMatcher(needle).found_in(with_match));
    std::string almost = needle;
    almost.back() = 'a';
    EXPECT_TRUE(SubstringMatcher(almost).found_in(text));
}

TEST(SearchText, SubjectIsDecodedAndFolded) {
    std::string hdr = crlf("From: a@b\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\n aus =?ISO-8859-1?Q?K=F6ln?=\n\n");
    std::string text = field_search_text(hdr, "subject");
    EXPECT_EQ(text, "gr\xC3\xBC\xC3\x9F" "e aus k\xC3\xB6ln\n");
    EXPECT_TRUE(found("GR\xC3\x9C\xC3\x9F" "E AUS K\xC3\x96LN", text));
    EXPECT_FALSE(found("=C3", text));
    EXPECT_TRUE(has_header_field(hdr, "SUBJECT"));
    EXPECT_FALSE(has_header_field(hdr, "Cc"));
}

TEST(SearchText, AddressesAsEnvelopeReadsThem) {
    std::string hdr = crlf(
        "From: <user-from (comment)@ (comment) domain.org>\n"
        "To: =?UTF-8?Q?J=C3=B6rg?= <j@example.org>, user-to@domain.org (RealTo),\n"
        "  group: g1@domain.org, \"=?ISO-8859-1?Q?Ren=E9e?=\" <r@x>;\n\n");
    std::string from = address_search_text(hdr, "From");
    EXPECT_TRUE(found("user-from@domain.org", from)) << from;
    EXPECT_FALSE(found("comment)", from));
    std::string to = address_search_text(hdr, "to");
    EXPECT_TRUE(found("J\xC3\x96RG <j@example.org>", to)) << to;
    EXPECT_TRUE(found("realto", to));
    EXPECT_TRUE(found("group", to));
    EXPECT_TRUE(found("g1@domain.org", to));
    EXPECT_TRUE(found("ren\xC3\xA9" "e", to));
    EXPECT_FALSE(found("=?", to));
}

TEST(SearchText, BodyPartsDecodedByEncodingAndCharset) {
    std::string msg = crlf(
        "Subject: parts\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
        "--b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
        "Fahrrad=\nschlauch f=C3=BCr\n"
        "--b\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: base64\n\n"
        "S+RzZWt1Y2hlbg==\n"
        "--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
        "emVicmEgZGF0YQ==\n"
        "--b\nContent-Type: message/rfc822\n\n"
        "Subject: =?UTF-8?Q?inner_=C3=9Cbung?=\n\ninner body\n"
        "--b--\n");
    std::string text = body_text(msg);
    EXPECT_TRUE(found("fahrradschlauch f\xC3\xBCr", text)) << text;
    EXPECT_TRUE(found("K\xC3\x84SEKUCHEN", text)) << text;
    EXPECT_TRUE(found("inner \xC3\x9C" "bung", text)) << text;   // the encapsulated header
    EXPECT_TRUE(found("inner body", text));
    EXPECT_FALSE(found("zebra", text));            // not a text part
    EXPECT_FALSE(found("emVicmEg", text));         // nor its raw base64
    EXPECT_FALSE(found("parts", text));            // the top-level header is not body
    EXPECT_TRUE(found("parts", header_search_text(msg.substr(0, header_section_size(msg)))));
}

TEST(SearchText, CorpusMessageWithEncodedWords) {
    const std::string msg = ringpost::mail::test::read_corpus("encoded_words.eml");
    std::string_view header = std::string_view(msg).substr(0, header_section_size(msg));
    EXPECT_TRUE(found("\xC3\x87" "a va? Tr\xC3\xA8s bien", field_search_text(header, "Subject")));
    EXPECT_TRUE(found("andr\xC3\xA9 dupont <andre@example.fr>", address_search_text(header, "From")));
    EXPECT_TRUE(found("\xE5\xB1\xB1\xE7\x94\xB0", address_search_text(header, "To")));   // CJK, untouched by folding
    EXPECT_TRUE(found("\xC3\xA7" "a va tr\xC3\xA8s bien, merci", body_text(msg)));
}

TEST(SearchText, NonMimeMessageIsText) {
    EXPECT_TRUE(found("hello", body_text(crlf("Subject: x\n\nHELLO there\n"))));
}

TEST(SearchText, BodyTextIsCapped) {
    std::string msg = crlf("Content-Type: text/plain; charset=iso-8859-1\n\n") + std::string(5000, '\xE4');
    // 1001 bytes: 500 two-byte characters and the part's line end; the cut
    // falls between characters, never inside one.
    std::string want;
    for (int i = 0; i < 500; ++i) want += "\xC3\xA4";
    EXPECT_EQ(body_text(msg, 1001), want + "\n");
}

}  // namespace
