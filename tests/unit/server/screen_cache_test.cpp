// The screening's pass cache (server/screen_cache.hpp) with the clock
// given by the test: hits within the TTLs, expiry, the size bound, what is
// never remembered, and what goes to the store.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/screen_cache.hpp"

namespace ringpost::server {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Passes = ScreenCache::Passes;

constexpr int64_t kStartMs = 1'700'000'000'000;   // unix ms
constexpr int64_t kHourMs = 3600 * 1000;
constexpr int64_t kDayMs = 24 * kHourMs;

Passes dnsbl_pass(bool allowlisted = false) { return Passes{true, allowlisted, false}; }
Passes pregreet_pass() { return Passes{false, false, true}; }

class ScreenCacheTest : public ::testing::Test {
protected:
    ScreenCache& cache() {
        if (!cache_)
            cache_ = std::make_unique<ScreenCache>(limits, [this](auto put, auto removed) {
                for (auto& r : put) saved.push_back(r);
                for (auto& ip : removed) dropped.push_back(ip);
            });
        return *cache_;
    }

    ScreenCache::Limits limits{kHourMs, kDayMs, 1600};
    std::unique_ptr<ScreenCache> cache_;
    std::vector<store::ScreenRecord> saved;
    std::vector<std::string> dropped;
};

TEST_F(ScreenCacheTest, APassHoldsForItsTtlAndNoLonger) {
    EXPECT_FALSE(cache().lookup("192.0.2.1", kStartMs).dnsbl);
    cache().remember("192.0.2.1", Passes{true, false, true}, kStartMs);
    Passes hit = cache().lookup("192.0.2.1", kStartMs + kHourMs - 1);
    EXPECT_TRUE(hit.dnsbl);
    EXPECT_TRUE(hit.pregreet);
    EXPECT_FALSE(hit.allowlisted);
    // The DNSBL pass runs out after an hour, the pregreet pass after a day.
    hit = cache().lookup("192.0.2.1", kStartMs + kHourMs);
    EXPECT_FALSE(hit.dnsbl);
    EXPECT_TRUE(hit.pregreet);
    EXPECT_FALSE(cache().lookup("192.0.2.1", kStartMs + kDayMs).pregreet);
    // Both gone: the entry is dropped, in memory and in the store.
    EXPECT_EQ(cache().size(), 0u);
    EXPECT_THAT(dropped, ElementsAre("192.0.2.1"));
    // Other addresses were never passed.
    EXPECT_FALSE(cache().lookup("192.0.2.2", kStartMs).pregreet);
}

TEST_F(ScreenCacheTest, AHitDoesNotRefreshAndALaterPassKeepsTheOtherTest) {
    cache().remember("2001:db8::7", pregreet_pass(), kStartMs);
    for (int64_t t = kStartMs; t < kStartMs + kDayMs; t += 6 * kHourMs) EXPECT_TRUE(cache().lookup("2001:db8::7", t).pregreet);
    EXPECT_EQ(saved.size(), 1u);   // lookups write nothing
    cache().remember("2001:db8::7", dnsbl_pass(true), kStartMs + 2 * kHourMs);
    const Passes hit = cache().lookup("2001:db8::7", kStartMs + 2 * kHourMs);
    EXPECT_TRUE(hit.dnsbl);
    EXPECT_TRUE(hit.allowlisted);
    EXPECT_TRUE(hit.pregreet);
    ASSERT_EQ(saved.size(), 2u);
    EXPECT_EQ(saved.back(), (store::ScreenRecord{"2001:db8::7", kStartMs + 3 * kHourMs, kStartMs + kDayMs, true}));
    // An allow-listing is a DNSBL verdict: it runs out with it.
    EXPECT_FALSE(cache().lookup("2001:db8::7", kStartMs + 3 * kHourMs).allowlisted);
}

TEST_F(ScreenCacheTest, NothingIsRememberedWithoutAPassOrWithATtlOfZero) {
    cache().remember("192.0.2.3", Passes{}, kStartMs);   // failed or incomplete tests
    EXPECT_EQ(cache().size(), 0u);
    EXPECT_THAT(saved, IsEmpty());

    limits.pregreet_ttl_ms = 0;
    cache_.reset();
    EXPECT_TRUE(cache().enabled());
    cache().remember("192.0.2.3", pregreet_pass(), kStartMs);
    EXPECT_EQ(cache().size(), 0u);
    cache().remember("192.0.2.3", Passes{true, false, true}, kStartMs);
    EXPECT_TRUE(cache().lookup("192.0.2.3", kStartMs + 1).dnsbl);
    EXPECT_FALSE(cache().lookup("192.0.2.3", kStartMs + 1).pregreet);

    limits.dnsbl_ttl_ms = 0;
    EXPECT_FALSE(ScreenCache(limits, nullptr).enabled());
}

TEST_F(ScreenCacheTest, TheLeastRecentlyPassedGoFirstWhenFull) {
    limits.max_entries = 100;   // 100 / 16 shards = 6 per shard
    const size_t per_shard = limits.max_entries / ScreenCache::kShards;
    const int n = 1000;
    for (int i = 0; i < n; ++i)
        cache().remember("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256), dnsbl_pass(), kStartMs + i);
    EXPECT_LE(cache().size(), per_shard * ScreenCache::kShards);
    EXPECT_EQ(dropped.size(), n - cache().size());
    // The last one passed is there; the first ones were pushed out.
    EXPECT_TRUE(cache().lookup("10.0.3.231", kStartMs + n).dnsbl);
    EXPECT_FALSE(cache().lookup("10.0.0.0", kStartMs + n).dnsbl);
}

TEST_F(ScreenCacheTest, LoadKeepsTheLiveRecordsAndRemovesTheExpired) {
    const store::ScreenRecord live{"192.0.2.5", kStartMs + kHourMs, 0, false};
    const store::ScreenRecord pregreet_only{"192.0.2.6", kStartMs - 1, kStartMs + kDayMs, false};
    const store::ScreenRecord gone{"192.0.2.7", kStartMs - kHourMs, kStartMs, true};
    cache().load({gone, live, pregreet_only}, kStartMs);
    EXPECT_EQ(cache().size(), 2u);
    EXPECT_THAT(dropped, ElementsAre("192.0.2.7"));
    EXPECT_TRUE(cache().lookup("192.0.2.5", kStartMs).dnsbl);
    const Passes p = cache().lookup("192.0.2.6", kStartMs);
    EXPECT_FALSE(p.dnsbl);
    EXPECT_TRUE(p.pregreet);
}

TEST_F(ScreenCacheTest, ASweepDropsExpiredEntriesOfTheShardLookedAt) {
    for (int i = 0; i < 64; ++i) cache().remember("198.51.100." + std::to_string(i), dnsbl_pass(), kStartMs);
    EXPECT_EQ(cache().size(), 64u);
    // After the TTL and a sweep interval, one lookup per shard sweeps it all.
    const int64_t later = kStartMs + kHourMs + ScreenCache::kSweepIntervalMs;
    for (int i = 0; i < 64; ++i) cache().lookup("203.0.113." + std::to_string(i), later);
    EXPECT_EQ(cache().size(), 0u);
    EXPECT_EQ(dropped.size(), 64u);
}

}  // namespace
}  // namespace ringpost::server
