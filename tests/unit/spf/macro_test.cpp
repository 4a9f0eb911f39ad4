// Macros (RFC 7208 7): the examples of 7.4, URL escaping, and the syntax
// rules (which letters where, transformers, "%" escapes).
#include <gtest/gtest.h>

#include "spf/macro.hpp"

namespace ringpost::spf {
namespace {

MacroValues rfc_values(const char* ip) {
    MacroValues v;
    v.sender = "strong-bad@email.example.com";
    v.local = "strong-bad";
    v.sender_domain = "email.example.com";
    v.domain = "email.example.com";
    v.ip = *client_ip(ip);
    v.helo = "mx.example.org";
    v.receiver = "mx.receiver.example";
    v.now = 1700000000;
    return v;
}

std::string expand(const char* text, const char* ip = "192.0.2.3") {
    return expand_macros(text, MacroScope::kDomain, rfc_values(ip));
}

TEST(SpfMacro, Rfc7208Section74Examples) {
    EXPECT_EQ(expand("%{s}"), "strong-bad@email.example.com");
    EXPECT_EQ(expand("%{o}"), "email.example.com");
    EXPECT_EQ(expand("%{d}"), "email.example.com");
    EXPECT_EQ(expand("%{d4}"), "email.example.com");
    EXPECT_EQ(expand("%{d3}"), "email.example.com");
    EXPECT_EQ(expand("%{d2}"), "example.com");
    EXPECT_EQ(expand("%{d1}"), "com");
    EXPECT_EQ(expand("%{dr}"), "com.example.email");
    EXPECT_EQ(expand("%{d2r}"), "example.email");
    EXPECT_EQ(expand("%{l}"), "strong-bad");
    EXPECT_EQ(expand("%{l-}"), "strong.bad");
    EXPECT_EQ(expand("%{lr}"), "strong-bad");
    EXPECT_EQ(expand("%{lr-}"), "bad.strong");
    EXPECT_EQ(expand("%{l1r-}"), "strong");
    EXPECT_EQ(expand("%{ir}.%{v}._spf.%{d2}"), "3.2.0.192.in-addr._spf.example.com");
    EXPECT_EQ(expand("%{lr-}.lp._spf.%{d2}"), "bad.strong.lp._spf.example.com");
    EXPECT_EQ(expand("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}"), "bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
    EXPECT_EQ(expand("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}"), "3.2.0.192.in-addr.strong.lp._spf.example.com");
    EXPECT_EQ(expand("%{d2}.trusted-domains.example.net"), "example.com.trusted-domains.example.net");
    EXPECT_EQ(expand("%{ir}.%{v}._spf.%{d2}", "2001:db8::cb01"),
              "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
}

TEST(SpfMacro, UpperCaseEscapesAndLiterals) {
    MacroValues v = rfc_values("192.0.2.3");
    v.local = "~jack&jill=up-a_b3.c";
    EXPECT_EQ(expand_macros("%{L}", MacroScope::kDomain, v), "~jack%26jill%3Dup-a_b3.c");
    EXPECT_EQ(expand("a%%b%_c%-d"), "a%b c%20d");
    EXPECT_EQ(expand("%{h}"), "mx.example.org");
    EXPECT_EQ(expand("%{p}"), "unknown");   // not validated: the caller found none
}

TEST(SpfMacro, ExplanationOnlyLetters) {
    EXPECT_FALSE(valid_macros("%{c}.example.com", MacroScope::kDomain));
    EXPECT_FALSE(valid_macros("%{r}", MacroScope::kDomain));
    EXPECT_FALSE(valid_macros("%{t}", MacroScope::kDomain));
    EXPECT_TRUE(valid_macros("%{c} %{r} %{t}", MacroScope::kExplanation));
    EXPECT_EQ(expand_macros("%{c} via %{r} at %{t}", MacroScope::kExplanation, rfc_values("2001:db8::cb01")),
              "2001:db8::cb01 via mx.receiver.example at 1700000000");
    EXPECT_FALSE(valid_macros("with space", MacroScope::kDomain));
    EXPECT_TRUE(valid_macros("with space", MacroScope::kExplanation));
}

TEST(SpfMacro, SyntaxErrors) {
    for (const char* bad : {"%", "a%", "%(ir)", "%{", "%{x}", "%{d0}", "%{d", "%{d2r+-", "%{dr!}", "100%"})
        EXPECT_FALSE(valid_macros(bad, MacroScope::kDomain)) << bad;
    for (const char* good : {"%{d}", "%{D2R}", "%{l2r+-}", "%{ir}.x", "%%", "%_%-"})
        EXPECT_TRUE(valid_macros(good, MacroScope::kDomain)) << good;
}

TEST(SpfMacro, FindsTheValidatedNameMacro) {
    EXPECT_TRUE(uses_validated_name("%{p}.example.com"));
    EXPECT_TRUE(uses_validated_name("x.%{P2}"));
    EXPECT_FALSE(uses_validated_name("%%{p}"));   // a literal "%" and "{p}"
    EXPECT_FALSE(uses_validated_name("%{d}"));
}

}  // namespace
}  // namespace ringpost::spf
