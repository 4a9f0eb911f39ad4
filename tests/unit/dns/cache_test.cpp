// DnsCache with an injected clock: entries live exactly their TTL, a zero
// TTL stores nothing, keys are (name, type), and a full cache evicts expired
// entries first, then the ones closest to expiry.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "dns/dns_cache.hpp"
#include "fake_clock.hpp"

using namespace ringpost::dns;
using ringpost::dns::test::FakeClock;
using namespace std::chrono_literals;

namespace {


RecordSet answer(const char* ip) {
    RecordSet rs;
    rs.outcome = Outcome::kAnswer;
    rs.addresses.push_back(Address{ip, AF_INET});
    return rs;
}

}  // namespace

TEST(DnsCache, EntryExpiresAfterItsTtl) {
    FakeClock clock;
    DnsCache cache(clock.fn());
    cache.put("a.test", 1, answer("192.0.2.1"), 60s);
    clock.now += 59s;
    const RecordSet* hit = cache.get("a.test", 1);
    ASSERT_NE(hit, nullptr);
    EXPECT_EQ(hit->addresses.at(0).ip, "192.0.2.1");
    clock.now += 1s;
    EXPECT_EQ(cache.get("a.test", 1), nullptr);
    EXPECT_EQ(cache.size(), 0u);  // dropped on the miss
}

TEST(DnsCache, ZeroTtlIsNotStored) {
    FakeClock clock;
    DnsCache cache(clock.fn());
    cache.put("a.test", 1, answer("192.0.2.1"), 0s);
    EXPECT_EQ(cache.get("a.test", 1), nullptr);
    EXPECT_EQ(cache.size(), 0u);
}

TEST(DnsCache, KeyedByNameAndType) {
    FakeClock clock;
    DnsCache cache(clock.fn());
    cache.put("a.test", 1, answer("192.0.2.1"), 60s);
    RecordSet nx;
    nx.outcome = Outcome::kNxDomain;
    nx.error = "NXDOMAIN for b.test";
    cache.put("b.test", 15, nx, 300s);
    EXPECT_EQ(cache.get("a.test", 28), nullptr);
    EXPECT_EQ(cache.get("b.test", 1), nullptr);
    ASSERT_NE(cache.get("b.test", 15), nullptr);
    EXPECT_EQ(cache.get("b.test", 15)->outcome, Outcome::kNxDomain);
    EXPECT_EQ(cache.get("b.test", 15)->error, "NXDOMAIN for b.test");
}

TEST(DnsCache, PutReplacesAndRestartsTheTtl) {
    FakeClock clock;
    DnsCache cache(clock.fn());
    cache.put("a.test", 1, answer("192.0.2.1"), 10s);
    clock.now += 5s;
    cache.put("a.test", 1, answer("192.0.2.2"), 10s);
    clock.now += 8s;
    ASSERT_NE(cache.get("a.test", 1), nullptr);
    EXPECT_EQ(cache.get("a.test", 1)->addresses.at(0).ip, "192.0.2.2");
}

TEST(DnsCache, FullCacheEvictsExpiredThenSoonestToExpire) {
    FakeClock clock;
    DnsCache cache(clock.fn(), 3);
    cache.put("short.test", 1, answer("192.0.2.1"), 5s);
    cache.put("long.test", 1, answer("192.0.2.2"), 100s);
    cache.put("mid.test", 1, answer("192.0.2.3"), 50s);
    clock.now += 10s;  // short.test expired
    cache.put("new1.test", 1, answer("192.0.2.4"), 100s);
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_NE(cache.get("mid.test", 1), nullptr);
    cache.put("new2.test", 1, answer("192.0.2.5"), 100s);  // evicts mid.test (expires first)
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_EQ(cache.get("mid.test", 1), nullptr);
    EXPECT_NE(cache.get("long.test", 1), nullptr);
    EXPECT_NE(cache.get("new1.test", 1), nullptr);
    EXPECT_NE(cache.get("new2.test", 1), nullptr);
}
