// Bearer tokens (src/http/tokens.hpp): the file format and its errors, the
// match, new tokens, and the Authorization header.
#include "http/tokens.hpp"

#include <gtest/gtest.h>

#include <set>

#include "http/router.hpp"

using namespace ringpost::http;

TEST(HttpTokens, TheFileHoldsNamesAndHashes) {
    const std::string text = "# tokens\n\nops " + hex(sha256("one")) + "\n  ci-bot\t" + hex(sha256("two")) + "  \r\n";
    auto set = TokenSet::parse(text, "f");
    ASSERT_TRUE(set.ok()) << set.error().message;
    EXPECT_EQ(set->size(), 2u);
    ASSERT_NE(set->match("one"), nullptr);
    EXPECT_EQ(*set->match("one"), "ops");
    EXPECT_EQ(*set->match("two"), "ci-bot");
    EXPECT_EQ(set->match("three"), nullptr);
    EXPECT_EQ(set->match(""), nullptr);
    EXPECT_TRUE(set->has_name("ops"));
}

TEST(HttpTokens, BadLinesNameTheirLine) {
    EXPECT_EQ(TokenSet::parse("ops\n", "f").error().message, "f:1: expected NAME SHA256-HEX");
    EXPECT_EQ(TokenSet::parse("# x\nops abc\n", "f").error().message,
              "f:2: expected a SHA-256 hash in hex (64 digits) after the name");
    EXPECT_EQ(TokenSet::parse("b/d " + hex(sha256("x")) + "\n", "f").error().message, "f:1: bad token name \"b/d\"");
    const std::string line = "ops " + hex(sha256("x")) + "\n";
    EXPECT_EQ(TokenSet::parse(line + line, "f").error().message, "f:2: token name \"ops\" given twice");
    EXPECT_FALSE(TokenSet::load("/nonexistent/tokens").ok());
}

TEST(HttpTokens, NewTokensAreRandomBase64url) {
    std::set<std::string> seen;
    for (int i = 0; i < 20; ++i) {
        auto t = new_token();
        ASSERT_TRUE(t.ok());
        EXPECT_EQ(t->size(), 43u);   // 32 bytes, no padding
        EXPECT_EQ(t->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                  std::string::npos);
        seen.insert(*t);
    }
    EXPECT_EQ(seen.size(), 20u);
    const std::string line = token_line("ops", "tok");
    EXPECT_EQ(line, "ops " + hex(sha256("tok")) + "\n");
    EXPECT_EQ(*TokenSet::parse(line, "f")->match("tok"), "ops");
    // SHA-256("abc"), FIPS 180-2.
    EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HttpTokens, TheBearerScheme) {
    Request r;
    EXPECT_EQ(bearer_token(r), "");
    r.headers.add("Authorization", "Basic abc");
    EXPECT_EQ(bearer_token(r), "");
    r.headers.set("authorization", "bearer  tok-en_1 ");
    EXPECT_EQ(bearer_token(r), "tok-en_1");
    r.headers.set("Authorization", "Bearer");
    EXPECT_EQ(bearer_token(r), "");
}
