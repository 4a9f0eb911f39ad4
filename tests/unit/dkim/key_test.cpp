// DKIM keys: generation, PEM round trip, the DNS record, and clear errors
// for files that are not usable keys.
#include <gtest/gtest.h>

#include "dkim/key.hpp"

namespace ringpost::dkim {
namespace {

TEST(DkimKey, GeneratedKeysRoundTripThroughPem) {
    for (Algorithm a : {Algorithm::kRsaSha256, Algorithm::kEd25519Sha256}) {
        auto key = SigningKey::generate(a, 2048);
        ASSERT_TRUE(key.ok()) << key.error().message;
        auto pem = key->private_pem();
        ASSERT_TRUE(pem.ok());
        EXPECT_NE(pem->find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
        auto again = SigningKey::from_pem(*pem, "k.pem");
        ASSERT_TRUE(again.ok()) << again.error().message;
        EXPECT_EQ(again->algorithm(), a);
        EXPECT_EQ(again->public_key_base64().value(), key->public_key_base64().value());
    }
}

TEST(DkimKey, DnsRecords) {
    auto ed = SigningKey::generate(Algorithm::kEd25519Sha256).value();
    const std::string ed_record = ed.dns_record().value();
    EXPECT_EQ(ed_record.rfind("v=DKIM1; k=ed25519; p=", 0), 0u) << ed_record;
    EXPECT_EQ(ed_record.size(), std::string("v=DKIM1; k=ed25519; p=").size() + 44);   // 32 bytes in base64
    auto rsa = SigningKey::generate(Algorithm::kRsaSha256, 2048).value();
    EXPECT_EQ(rsa.bits(), 2048u);
    const std::string rsa_record = rsa.dns_record().value();
    EXPECT_EQ(rsa_record.rfind("v=DKIM1; k=rsa; p=MII", 0), 0u) << rsa_record;
    const std::string line = zone_file_line("example.test", "s1", rsa_record);
    EXPECT_EQ(line.rfind("s1._domainkey.example.test. IN TXT ( \"v=DKIM1; k=rsa; p=", 0), 0u) << line;
    // Split into strings of at most 255 bytes.
    size_t start = 0, strings = 0;
    while ((start = line.find('"', start)) != std::string::npos) {
        const size_t end = line.find('"', start + 1);
        EXPECT_LE(end - start - 1, 255u);
        start = end + 1;
        ++strings;
    }
    EXPECT_GE(strings, 2u);
}

TEST(DkimKey, UnusableKeysAreRefusedWithTheReason) {
    auto none = SigningKey::from_pem("not a key", "bad.pem");
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().message, "bad.pem: no PEM private key in it");
    auto small = SigningKey::generate(Algorithm::kRsaSha256, 512);
    ASSERT_FALSE(small.ok());
    auto missing = SigningKey::load("/nonexistent/dkim.pem");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().message, "/nonexistent/dkim.pem: cannot read the DKIM key");
}

}  // namespace
}  // namespace ringpost::dkim
