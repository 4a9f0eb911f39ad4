// Content-Type / Content-Disposition / Content-Language parsing, RFC 2231
// continuations included (src/mail/content_fields.hpp).
#include "mail/content_fields.hpp"

#include <gtest/gtest.h>

using namespace ringpost::mail;

namespace {

ContentType type_of(std::string_view value) {
    ContentType ct;
    EXPECT_TRUE(parse_content_type(value, ct)) << value;
    return ct;
}

}  // namespace

TEST(ContentType, TypeSubtypeAndParametersLowerCaseNamesValuesAsWritten) {
    ContentType ct = type_of("Text/HTML; Charset=\"UTF-8\"; Format=Flowed");
    EXPECT_EQ(ct.type, "text");
    EXPECT_EQ(ct.subtype, "html");
    EXPECT_EQ(ct.params, (MimeParams{{"charset", "UTF-8"}, {"format", "Flowed"}}));
}

TEST(ContentType, CommentsAndWhitespaceAnywhere) {
    ContentType ct = type_of(" text (the type) / plain (sub) ; (c) charset = us-ascii (Plain text)");
    EXPECT_EQ(ct.subtype, "plain");
    EXPECT_EQ(ct.params, (MimeParams{{"charset", "us-ascii"}}));
}

TEST(ContentType, QuotedStringsWithEscapesAndSpecials) {
    ContentType ct = type_of(R"(multipart/mixed; boundary="a \"b\" ;c=d\\e"; x=y)");
    EXPECT_EQ(ct.params, (MimeParams{{"boundary", "a \"b\" ;c=d\\e"}, {"x", "y"}}));
}

TEST(ContentType, UnquotedBoundaryWithEqualsSigns) {
    // Seen from Outlook and others: tspecials in an unquoted value.
    ContentType ct = type_of("multipart/alternative; boundary=----=_NextPart_000_0012_01D9C9A1.2B3C4D50");
    EXPECT_EQ(ct.params, (MimeParams{{"boundary", "----=_NextPart_000_0012_01D9C9A1.2B3C4D50"}}));
}

TEST(ContentType, MissingSubtypeIsInvalid) {
    ContentType ct;
    EXPECT_FALSE(parse_content_type("text", ct));
    EXPECT_FALSE(parse_content_type("text/", ct));
    EXPECT_FALSE(parse_content_type("/plain", ct));
    EXPECT_FALSE(parse_content_type("", ct));
    EXPECT_FALSE(parse_content_type("; charset=x", ct));
}

TEST(ContentType, BrokenParametersAreSkippedNotFatal) {
    ContentType ct = type_of("text/plain; ; =x; novalue; charset=utf-8 garbage; name=\"unterminated");
    EXPECT_EQ(ct.params, (MimeParams{{"charset", "utf-8"}, {"name", "unterminated"}}));
}

TEST(Rfc2231, PlainContinuationsAreJoined) {
    ContentType ct = type_of("application/pdf; name*0=\"long \"; name*1=\"file\"; name*2=.pdf");
    EXPECT_EQ(ct.params, (MimeParams{{"name", "long file.pdf"}}));
}

TEST(Rfc2231, EncodedValueKeepsCharsetAndPercentEncoding) {
    ContentType ct = type_of("text/plain; name*=utf-8'de'Gr%C3%BC%C3%9Fe.txt");
    EXPECT_EQ(ct.params, (MimeParams{{"name*", "utf-8'de'Gr%C3%BC%C3%9Fe.txt"}}));
}

TEST(Rfc2231, MixedPiecesOutOfOrder) {
    // RFC 2231 section 4.1's example, pieces given out of order; the plain
    // piece's '%' must be escaped once it joins an encoded value.
    ContentType ct = type_of(
        "application/x-stuff; title*2=\"isn't it! 100%\"; title*1*=%2A%2A%2Afun%2A%2A%2A%20; "
        "title*0*=us-ascii'en'This%20is%20even%20more%20");
    EXPECT_EQ(ct.params, (MimeParams{{"title*", "us-ascii'en'This%20is%20even%20more%20%2A%2A%2Afun%2A%2A%2A%20"
                                                "isn't it! 100%25"}}));
}

TEST(Rfc2231, FirstPiecePlainLaterEncoded) {
    ContentType ct = type_of("text/plain; name*0=abc; name*1*=%41");
    EXPECT_EQ(ct.params, (MimeParams{{"name*", "''abc%41"}}));
}

TEST(Rfc2231, GapInNumberingKeepsPiecesAsWritten) {
    ContentType ct = type_of("text/plain; a=1; name*0=x; name*2=z; b=2");
    EXPECT_EQ(ct.params, (MimeParams{{"a", "1"}, {"name*0", "x"}, {"name*2", "z"}, {"b", "2"}}));
}

TEST(Rfc2231, JoinedParameterTakesThePlaceOfItsFirstPiece) {
    ContentType ct = type_of("text/plain; name*1=b; charset=utf-8; name*0=a");
    EXPECT_EQ(ct.params, (MimeParams{{"name", "ab"}, {"charset", "utf-8"}}));
}

TEST(Rfc2231, NonNumericSectionIsAnOrdinaryName) {
    ContentType ct = type_of("text/plain; x*y=1; *=2; z*99999=3");
    EXPECT_EQ(ct.params, (MimeParams{{"x*y", "1"}, {"*", "2"}, {"z*99999", "3"}}));
}

TEST(Disposition, TypeAndParameters) {
    std::string d;
    MimeParams params;
    parse_content_disposition("Attachment; FileName=\"a b.txt\"; size=12", d, params);
    EXPECT_EQ(d, "attachment");
    EXPECT_EQ(params, (MimeParams{{"filename", "a b.txt"}, {"size", "12"}}));
    parse_content_disposition("inline", d, params);
    EXPECT_EQ(d, "inline");
    EXPECT_TRUE(params.empty());
    parse_content_disposition("; filename=x", d, params);
    EXPECT_EQ(d, "");
    EXPECT_TRUE(params.empty());
}

TEST(TransferEncoding, FirstTokenLowerCase) {
    EXPECT_EQ(parse_mime_token(" Base64 (encoded)"), "base64");
    EXPECT_EQ(parse_mime_token("?invalid"), "");
    EXPECT_EQ(parse_mime_token(""), "");
}

TEST(Language, TagsAsWritten) {
    EXPECT_EQ(split_language_tags("en, de-CH (Swiss),fr"), (std::vector<std::string>{"en", "de-CH", "fr"}));
    EXPECT_EQ(split_language_tags(""), std::vector<std::string>{});
    EXPECT_EQ(split_language_tags(" , ,"), std::vector<std::string>{});
    EXPECT_EQ(split_language_tags("en \"x\", fr"), (std::vector<std::string>{"en", "fr"}));
}
