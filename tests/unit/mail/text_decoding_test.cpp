// The decoders behind SEARCH: UTF-8 sanitizing, charsets to UTF-8 (iconv),
// RFC 2047 encoded words, quoted-printable and base64 bodies, case folding.
#include <gtest/gtest.h>

#include "mail/case_fold.hpp"
#include "mail/charset.hpp"
#include "mail/encoded_words.hpp"
#include "mail/transfer_decoding.hpp"
#include "util/base64.hpp"
#include "util/utf8.hpp"

using namespace ringpost::mail;

namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(Utf8, SanitizeKeepsValidAndReplacesEachInvalidByte) {
    EXPECT_EQ(ringpost::utf8::sanitize("Gr\xC3\xBC\xC3\x9F" "e \xF0\x9F\x98\x80"), "Gr\xC3\xBC\xC3\x9F" "e \xF0\x9F\x98\x80");
    EXPECT_EQ(ringpost::utf8::sanitize("a\xFF" "b"), "a" + kFffd + "b");
    EXPECT_EQ(ringpost::utf8::sanitize("\xC0\xAF"), kFffd + kFffd);            // overlong "/"
    EXPECT_EQ(ringpost::utf8::sanitize("\xED\xA0\x80"), kFffd + kFffd + kFffd); // a surrogate
    EXPECT_EQ(ringpost::utf8::sanitize("x\xE2\x82"), "x" + kFffd + kFffd);      // truncated at the end
}

TEST(Charset, Utf8AndAsciiAreSanitizedAsIs) {
    EXPECT_EQ(charset_to_utf8("K\xC3\xA4se", "UTF-8"), "K\xC3\xA4se");
    EXPECT_EQ(charset_to_utf8("plain", "us-ascii"), "plain");
    EXPECT_EQ(charset_to_utf8("K\xE4se", ""), "K" + kFffd + "se");
}

TEST(Charset, Latin1AndIconvCharsets) {
    EXPECT_EQ(charset_to_utf8("K\xE4sekuchen", "ISO-8859-1"), "K\xC3\xA4sekuchen");
    EXPECT_EQ(charset_to_utf8("\xA4", "iso-8859-15"), "\xE2\x82\xAC");                      // euro sign
    EXPECT_EQ(charset_to_utf8("\x80", "windows-1252"), "\xE2\x82\xAC");
    EXPECT_EQ(charset_to_utf8("\xF0\xD2\xC9\xD7\xC5\xD4", "KOI8-R"), "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82");
    EXPECT_EQ(charset_to_utf8(std::string("\x00" "A\x00\xFC", 4), "UTF-16BE"), "A\xC3\xBC");
}

TEST(Charset, Latin1IsReadAsWindows1252) {
    EXPECT_EQ(charset_to_utf8("\x93quoted\x94 \x80", "iso-8859-1"), "\xE2\x80\x9Cquoted\xE2\x80\x9D \xE2\x82\xAC");
    EXPECT_EQ(charset_to_utf8("\x81", "latin1"), "\xC2\x81");   // undefined in 1252: kept as C1
}

TEST(Charset, MimeLabelsIconvLacks) {
    EXPECT_EQ(charset_to_utf8("\xC7\xD1", "ks_c_5601-1987"), "\xED\x95\x9C");     // Hangul HAN
    EXPECT_EQ(charset_to_utf8("\x82\xA0", "x-sjis"), "\xE3\x81\x82");             // Hiragana A
    EXPECT_EQ(charset_to_utf8("\x8A", "x-mac-roman"), "\xC3\xA4");                  // a umlaut
    EXPECT_EQ(charset_to_utf8("+AOQ-", "unicode-1-1-utf-7"), "\xC3\xA4");
}

TEST(Charset, InvalidInputAndUnknownCharsetsNeverFail) {
    // 0xAA is undefined in windows-1253: one U+FFFD, the rest converted.
    EXPECT_EQ(charset_to_utf8("a\xAA" "b\x80", "windows-1253"), "a" + kFffd + "b\xE2\x82\xAC");
    EXPECT_EQ(charset_to_utf8("abc \xC3\xBC", "x-no-such-charset"), "abc \xC3\xBC");
    EXPECT_EQ(charset_to_utf8("abc\xFF", "UTF-8//TRANSLIT"), "abc" + kFffd);   // never passed to iconv
    EXPECT_EQ(charset_to_utf8("abc", "../../etc/passwd"), "abc");
}

TEST(EncodedWords, QAndBInUtf8) {
    EXPECT_EQ(decode_encoded_words("=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus Berlin"), "Gr\xC3\xBC\xC3\x9F" "e aus Berlin");
    EXPECT_EQ(decode_encoded_words("=?utf-8?q?a_b?="), "a b");
    EXPECT_EQ(decode_encoded_words("=?UTF-8?B?R3LDvMOfZQ==?="), "Gr\xC3\xBC\xC3\x9F" "e");
    EXPECT_EQ(decode_encoded_words("=?UTF-8?B?R3LDvMOfZQ?="), "Gr\xC3\xBC\xC3\x9F" "e");   // padding missing
    EXPECT_EQ(decode_encoded_words("=?ISO-8859-1?Q?Ren=E9e?="), "Ren\xC3\xA9" "e");
    EXPECT_EQ(decode_encoded_words("=?UTF-8*de?Q?Gr=C3=BC=C3=9Fe?="), "Gr\xC3\xBC\xC3\x9F" "e");  // RFC 2231 language
}

TEST(EncodedWords, WhitespaceBetweenAdjacentWordsGoesOtherWhitespaceStays) {
    EXPECT_EQ(decode_encoded_words("=?UTF-8?Q?a?= =?UTF-8?Q?b?="), "ab");
    EXPECT_EQ(decode_encoded_words("=?UTF-8?Q?a?=  \t =?ISO-8859-1?Q?b?="), "ab");
    EXPECT_EQ(decode_encoded_words("=?UTF-8?Q?a?= x =?UTF-8?Q?b?="), "a x b");
    EXPECT_EQ(decode_encoded_words("x =?UTF-8?Q?a?="), "x a");
    EXPECT_EQ(decode_encoded_words("=?UTF-8?Q?a?= x"), "a x");
    EXPECT_EQ(decode_encoded_words("=?UTF-8?Q?a_?= =?UTF-8?Q?b?="), "a b");   // an encoded space stays
}

TEST(EncodedWords, CharacterSplitAcrossWordsIsWhole) {
    // "ß" is C3 9F: its first byte ends one word, its second starts the next.
    EXPECT_EQ(decode_encoded_words("=?UTF-8?B?w5xiZXJncsO2ww==?= =?UTF-8?B?n2VudGFiZWxsZQ==?="),
              "\xC3\x9C" "bergr\xC3\xB6\xC3\x9F" "entabelle");
    EXPECT_EQ(decode_encoded_words("=?UTF-8?Q?=C3?= =?UTF-8?Q?=9F?="), "\xC3\x9F");
}

TEST(EncodedWords, NotEncodedWordsPassThrough) {
    EXPECT_EQ(decode_encoded_words("=?UTF-8?X?abc?="), "=?UTF-8?X?abc?=");
    EXPECT_EQ(decode_encoded_words("=?UTF-8?Q?no end"), "=?UTF-8?Q?no end");
    EXPECT_EQ(decode_encoded_words("=??Q?abc?="), "=??Q?abc?=");
    EXPECT_EQ(decode_encoded_words("a =? b ?= c"), "a =? b ?= c");
    EXPECT_EQ(decode_encoded_words("=?=?UTF-8?Q?x?="), "=?x");
    EXPECT_EQ(decode_encoded_words("8bit R\xC3\xA9sum\xC3\xA9 and \xFF"), "8bit R\xC3\xA9sum\xC3\xA9 and " + kFffd);
}

TEST(EncodedWords, HostileInputEndsQuickly) {
    // Many candidates without an end: each costs only the bytes to its blank.
    std::string s;
    for (int i = 0; i < 200000; ++i) s += "=?a?q?x";
    EXPECT_TRUE(decode_encoded_words(s) == s);
}

TEST(QuotedPrintable, EscapesAndSoftLineBreaks) {
    EXPECT_EQ(decode_quoted_printable("f=C3=BCr M=c3=bcnchen\r\n"), "f\xC3\xBCr M\xC3\xBCnchen\r\n");
    EXPECT_EQ(decode_quoted_printable("Fahrrad=\r\nschlauch"), "Fahrradschlauch");
    EXPECT_EQ(decode_quoted_printable("Fahrrad=  \r\nschlauch"), "Fahrradschlauch");   // blanks after "="
    EXPECT_EQ(decode_quoted_printable("Fahrrad=\nschlauch"), "Fahrradschlauch");       // bare LF
    EXPECT_EQ(decode_quoted_printable("end="), "end");
    EXPECT_EQ(decode_quoted_printable("a=ZZb = c=4"), "a=ZZb = c=4");               // stray "=" kept
}

TEST(Base64, LenientDecodingOfBodies) {
    EXPECT_EQ(ringpost::base64::decode_lenient("a3VtcXVhdA=="), "kumquat");
    EXPECT_EQ(ringpost::base64::decode_lenient("a3Vt\r\ncXVh\r\ndA=="), "kumquat");
    EXPECT_EQ(ringpost::base64::decode_lenient("a3Vt cXVh*dA"), "kumquat");   // garbage and no padding
    EXPECT_EQ(ringpost::base64::decode_lenient("a3Vt=cXVh"), "kum");            // "=" ends the data
    EXPECT_EQ(ringpost::base64::decode_lenient(""), "");
}

TEST(TransferEncoding, ByName) {
    EXPECT_EQ(decode_transfer_encoding("a=3Db", "quoted-printable"), "a=b");
    EXPECT_EQ(decode_transfer_encoding("YT1i", "base64"), "a=b");
    EXPECT_EQ(decode_transfer_encoding("a=3Db", "8bit"), "a=3Db");
    EXPECT_EQ(decode_transfer_encoding("a=3Db", "x-uuencode"), "a=3Db");
}

TEST(CaseFold, AsciiLatinGreekCyrillic) {
    EXPECT_EQ(fold_case("Hello WORLD 123"), "hello world 123");
    EXPECT_EQ(fold_case("GR\xC3\x9C\xC3\x9F" "E"), "gr\xC3\xBC\xC3\x9F" "e");            // Ü -> ü, ß stays
    EXPECT_EQ(fold_case("\xC3\x80\xC3\x9E\xC3\x97"), "\xC3\xA0\xC3\xBE\xC3\x97");        // À Þ -> à þ, × stays
    EXPECT_EQ(fold_case("\xC5\x81\xC3\x93\xC5\xB9"), "\xC5\x82\xC3\xB3\xC5\xBA");        // ŁÓŹ -> łóź
    EXPECT_EQ(fold_case("\xC5\xB8"), "\xC3\xBF");                                          // Ÿ -> ÿ
    EXPECT_EQ(fold_case("\xC5\xBF"), "s");                                                 // long s
    EXPECT_EQ(fold_case("\xCE\xA3\xCF\x82"), "\xCF\x83\xCF\x83");                          // Σ ς -> σ σ
    EXPECT_EQ(fold_case("\xD0\x9F\xD0\x81"), "\xD0\xBF\xD1\x91");                          // П Ё -> п ё
    EXPECT_EQ(fold_case("\xE1\xBA\x9E"), "\xC3\x9F");                                      // ẞ -> ß
    EXPECT_EQ(fold_case("\xF0\x90\x90\x80"), "\xF0\x90\x90\xA8");                          // Deseret, 4 bytes
    EXPECT_EQ(fold_case("\xC4\xB0"), "\xC4\xB0");                                          // İ: Turkic only
    EXPECT_EQ(fold_case("a\xFF"), "a" + kFffd);
}

TEST(CaseFold, CodePoints) {
    EXPECT_EQ(fold_code_point('Q'), static_cast<uint32_t>('q'));
    EXPECT_EQ(fold_code_point(0x0100), 0x0101u);
    EXPECT_EQ(fold_code_point(0x0101), 0x0101u);
    EXPECT_EQ(fold_code_point(0x0130), 0x0130u);
    EXPECT_EQ(fold_code_point(0x00B5), 0x03BCu);   // micro sign -> mu
    EXPECT_EQ(fold_code_point(0xFF21), 0xFF41u);   // fullwidth A
    EXPECT_EQ(fold_code_point(0x10FFFF), 0x10FFFFu);
}

}  // namespace
