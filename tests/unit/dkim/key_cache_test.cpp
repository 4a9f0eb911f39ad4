// The cache of read key records (dkim/key_cache.hpp): one read per text,
// errors kept like keys, the oldest text dropped at capacity, long texts
// never kept.
#include <gtest/gtest.h>

#include <string>

#include "dkim/key_cache.hpp"

namespace ringpost::dkim {
namespace {

// RFC 8463 A.2's Ed25519 public key, and another 32-byte key.
const std::string kKeyA = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
const std::string kKeyB = "v=DKIM1; k=ed25519; p=Dm6NHu2kaRYqcJh4VJRj9nmjo+TV/ejqr6+1qjc7s6I=";

TEST(DkimKeyCache, ReadsATextOnce) {
    KeyRecordCache cache;
    auto first = cache.get(kKeyA);
    ASSERT_TRUE(*first) << first->error().message;
    EXPECT_EQ(first->value().type, KeyType::kEd25519);
    EXPECT_EQ(cache.get(kKeyA), first);   // the same record, not read again
    EXPECT_EQ(cache.parses(), 1u);
    EXPECT_NE(cache.get(kKeyB), first);
    EXPECT_EQ(cache.parses(), 2u);
    EXPECT_EQ(cache.size(), 2u);
}

TEST(DkimKeyCache, KeepsErrorsToo) {
    KeyRecordCache cache;
    auto bad = cache.get("v=DKIM1; k=rsa; p=!!!");
    ASSERT_FALSE(*bad);
    EXPECT_FALSE(bad->error().message.empty());
    EXPECT_EQ(cache.get("v=DKIM1; k=rsa; p=!!!"), bad);
    EXPECT_EQ(cache.parses(), 1u);
}

TEST(DkimKeyCache, DropsTheOldestAtCapacity) {
    KeyRecordCache cache(2);
    cache.get(kKeyA);
    cache.get(kKeyB);
    cache.get("v=DKIM1; k=rsa; p=");   // revoked: a third text
    EXPECT_EQ(cache.size(), 2u);
    EXPECT_EQ(cache.parses(), 3u);
    cache.get(kKeyB);                  // still kept
    EXPECT_EQ(cache.parses(), 3u);
    cache.get(kKeyA);                  // dropped: read again
    EXPECT_EQ(cache.parses(), 4u);
}

TEST(DkimKeyCache, NeverKeepsALongText) {
    KeyRecordCache cache;
    const std::string long_text = kKeyA + "; n=" + std::string(KeyRecordCache::kMaxText, 'x');
    auto rec = cache.get(long_text);
    EXPECT_TRUE(*rec) << rec->error().message;
    EXPECT_EQ(cache.size(), 0u);
    cache.get(long_text);
    EXPECT_EQ(cache.parses(), 2u);
}

}  // namespace
}  // namespace ringpost::dkim
