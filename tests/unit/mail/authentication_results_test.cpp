// Authentication-Results (RFC 8601): rendering with folding and quoting,
// the authserv-id of a field, and removing the fields that claim ours.
#include <gtest/gtest.h>

#include "mail/authentication_results.hpp"

namespace ringpost::mail {
namespace {

TEST(AuthenticationResults, RendersOneResultPerLine) {
    std::vector<AuthMethodResult> results{
        {"spf", "pass", "", {{"smtp.mailfrom", "alice@example.org"}}},
        {"dkim", "fail", "signature did not verify", {{"header.d", "example.org"}, {"header.s", "sel1"}}},
    };
    EXPECT_EQ(render_authentication_results("mx.example.net", results),
              "Authentication-Results: mx.example.net;\r\n"
              "\tspf=pass smtp.mailfrom=alice@example.org;\r\n"
              "\tdkim=fail reason=\"signature did not verify\" header.d=example.org\r\n"
              "\t header.s=sel1\r\n");
}

TEST(AuthenticationResults, NoResultIsNone) {
    EXPECT_EQ(render_authentication_results("mx.example.net", {}), "Authentication-Results: mx.example.net; none\r\n");
}

TEST(AuthenticationResults, FoldsAt78Columns) {
    AuthMethodResult r{"spf", "permerror", std::string(50, 'x'), {{"smtp.mailfrom", "someone@" + std::string(30, 'd') + ".example"}}};
    const std::string field = render_authentication_results("mx.example.net", {r});
    size_t start = 0;
    for (size_t end; (end = field.find("\r\n", start)) != std::string::npos; start = end + 2) {
        const std::string line = field.substr(start, end - start);
        size_t width = 0;
        for (char c : line) width += c == '\t' ? 8 - width % 8 : 1;
        EXPECT_LE(width, 78u) << line;
    }
    EXPECT_NE(field.find("\r\n\t smtp.mailfrom=someone@"), std::string::npos) << field;
}

TEST(AuthenticationResults, QuotesWhatIsNotAToken) {
    AuthMethodResult r{"spf", "fail", "", {{"smtp.mailfrom", "odd local@example.org"}, {"smtp.helo", "[192.0.2.1]"}}};
    EXPECT_EQ(render_authentication_results("id", {r}),
              "Authentication-Results: id;\r\n\tspf=fail smtp.mailfrom=\"odd local\"@example.org smtp.helo=\"[192.0.2.1]\"\r\n");
}

// A DKIM b= prefix is base64: "/" is an RFC 2045 tspecial, so such a prefix
// is quoted while one of letters, digits and "+" stays a bare token.
TEST(AuthenticationResults, QuotesABase64PrefixWithASlash) {
    AuthMethodResult slash{"dkim", "pass", "", {{"header.b", "ab/cd+ef"}}};
    AuthMethodResult plain{"dkim", "pass", "", {{"header.b", "abcd+efg"}}};
    EXPECT_EQ(render_authentication_results("id", {slash, plain}),
              "Authentication-Results: id;\r\n\tdkim=pass header.b=\"ab/cd+ef\";\r\n\tdkim=pass header.b=abcd+efg\r\n");
}

TEST(AuthenticationResults, AuthservIdSkipsComments) {
    EXPECT_EQ(authserv_id_of(" mx.example.net; spf=pass"), "mx.example.net");
    EXPECT_EQ(authserv_id_of(" (forged?) MX.Example.NET (x) ;spf=pass"), "MX.Example.NET");
    EXPECT_EQ(authserv_id_of(" \"mx.example.net\"; none"), "mx.example.net");
    EXPECT_EQ(authserv_id_of("\r\n\tmx.example.net 1; none"), "mx.example.net");
    EXPECT_EQ(authserv_id_of(" ; none"), "");
}

TEST(AuthenticationResults, RemovesOnlyFieldsClaimingOurId) {
    std::string message =
        "Received: from x\r\n"
        "Authentication-Results: (comment) MX.example.net;\r\n\tspf=pass smtp.mailfrom=a@b.example\r\n"
        "Subject: hi\r\n"
        "authentication-results: other.example; spf=fail\r\n"
        "Authentication-Results: mx.example.net; dkim=pass\r\n"
        "\r\n"
        "Authentication-Results: mx.example.net; in the body stays\r\n";
    EXPECT_EQ(remove_authentication_results(message, "mx.example.net"), 2u);
    EXPECT_EQ(message,
              "Received: from x\r\n"
              "Subject: hi\r\n"
              "authentication-results: other.example; spf=fail\r\n"
              "\r\n"
              "Authentication-Results: mx.example.net; in the body stays\r\n");
    EXPECT_EQ(remove_authentication_results(message, "mx.example.net"), 0u);
}

}  // namespace
}  // namespace ringpost::mail
