// Password hashing: crypt(3) strings, never the clear text; verification
// with the right and wrong passwords and against disabled hashes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "auth/password.hpp"

namespace ringpost::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST(Password, HashIsYescryptAndVerifies) {
    auto h = auth::hash_password("correct horse");
    ASSERT_TRUE(h.ok()) << h.error().message;
    EXPECT_THAT(*h, StartsWith("$y$"));
    EXPECT_THAT(*h, Not(HasSubstr("correct horse")));
    EXPECT_TRUE(auth::verify_password("correct horse", *h));
    EXPECT_FALSE(auth::verify_password("correct horsE", *h));
    EXPECT_FALSE(auth::verify_password("", *h));
    EXPECT_FALSE(auth::verify_password("correct horse ", *h));
}

TEST(Password, SaltsDiffer) {
    auto a = auth::hash_password("same");
    auto b = auth::hash_password("same");
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(b.ok());
    EXPECT_NE(*a, *b);
    EXPECT_TRUE(auth::verify_password("same", *a));
    EXPECT_TRUE(auth::verify_password("same", *b));
}

TEST(Password, RejectsEmptyAndNul) {
    EXPECT_FALSE(auth::hash_password("").ok());
    EXPECT_FALSE(auth::hash_password(std::string_view("a\0b", 3)).ok());
}

TEST(Password, VerifiesOtherCryptMethods) {
    // sha512-crypt, the fallback, and what older systems stored.
    const char* sha512 = "$6$saltsalt$r8hqjej7NOnHouvfJfEFBdDpaZrlnNF5usBCGaYxz8wqU0E5K7ucoKpaEPPOf8KBXrECOw0mlyQE.Okt04BGB0";
    EXPECT_TRUE(auth::verify_password("toomanysecrets", sha512));
    EXPECT_FALSE(auth::verify_password("toomanysecret", sha512));
}

TEST(Password, DisabledOrEmptyHashNeverMatches) {
    EXPECT_FALSE(auth::verify_password("", ""));
    EXPECT_FALSE(auth::verify_password("x", ""));
    EXPECT_FALSE(auth::verify_password("x", "*"));
    EXPECT_FALSE(auth::verify_password("x", "!$y$j9T$abc"));
    EXPECT_FALSE(auth::verify_password("x", "garbage"));
}

}  // namespace
}  // namespace ringpost::auth
