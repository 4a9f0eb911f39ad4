// SASL PLAIN decoding (src/pop3/sasl.hpp) and the strict base64 under it
// (src/util/base64.hpp).
#include "pop3/sasl.hpp"

#include <gtest/gtest.h>

#include <string>

#include "util/base64.hpp"

using namespace ringpost;
using namespace ringpost::pop3;

namespace {
std::string b64(std::string_view s) {
    std::string out;
    base64::encode(s, out);
    return out;
}
}  // namespace

TEST(Base64, EncodesRfc4648Vectors) {
    EXPECT_EQ(b64(""), "");
    EXPECT_EQ(b64("f"), "Zg==");
    EXPECT_EQ(b64("fo"), "Zm8=");
    EXPECT_EQ(b64("foo"), "Zm9v");
    EXPECT_EQ(b64("foob"), "Zm9vYg==");
    EXPECT_EQ(b64("fooba"), "Zm9vYmE=");
    EXPECT_EQ(b64("foobar"), "Zm9vYmFy");
}

TEST(Base64, DecodesStrictly) {
    std::string out;
    EXPECT_TRUE(base64::decode("Zm9vYmFy", out));
    EXPECT_EQ(out, "foobar");
    out.clear();
    EXPECT_TRUE(base64::decode("Zm9vYg==", out));
    EXPECT_EQ(out, "foob");
    out.clear();
    EXPECT_TRUE(base64::decode("", out));
    EXPECT_EQ(out, "");
    std::string all;
    for (int i = 0; i < 256; ++i) all += char(i);
    out.clear();
    EXPECT_TRUE(base64::decode(b64(all), out));
    EXPECT_EQ(out, all);
    for (const char* bad : {"Zm9", "Zm9v YmFy", "Zm9vYmFy\r\n", "Zg=", "Z===", "Zg==Zg==", "Zh==", "Zm9=", "Zm!v", "=Zg="}) {
        out.clear();
        EXPECT_FALSE(base64::decode(bad, out)) << bad;
    }
}

TEST(SaslPlain, Decodes) {
    PlainCredentials c;
    EXPECT_EQ(decode_plain(b64(std::string("\0alice\0p w", 10)), c), PlainStatus::kOk);
    EXPECT_EQ(c.user, "alice");
    EXPECT_EQ(c.password, "p w");
    EXPECT_EQ(decode_plain(b64(std::string("alice\0alice\0pw", 14)), c), PlainStatus::kOk);
}

TEST(SaslPlain, Refuses) {
    PlainCredentials c;
    EXPECT_EQ(decode_plain("@@@@", c), PlainStatus::kBadBase64);
    EXPECT_EQ(decode_plain("=", c), PlainStatus::kMalformed);
    EXPECT_EQ(decode_plain(b64("alice"), c), PlainStatus::kMalformed);
    EXPECT_EQ(decode_plain(b64(std::string("\0alice", 6)), c), PlainStatus::kMalformed);
    EXPECT_EQ(decode_plain(b64(std::string("\0\0pw", 4)), c), PlainStatus::kMalformed);
    EXPECT_EQ(decode_plain(b64(std::string("\0alice\0", 7)), c), PlainStatus::kMalformed);
    EXPECT_EQ(decode_plain(b64(std::string("\0alice\0pw\0", 10)), c), PlainStatus::kMalformed);
    EXPECT_EQ(decode_plain(b64(std::string("bob\0alice\0pw", 12)), c), PlainStatus::kBadAuthzid);
}
