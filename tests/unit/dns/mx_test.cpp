// Pure MX logic: ordering (preferences, shuffled ties, stability across
// preferences), null MX (RFC 7505), the implicit MX (RFC 5321 5.1), error
// classes, address combination, and literals.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <map>
#include <set>

#include "dns/mx.hpp"

using namespace ringpost;
using namespace ringpost::dns;

namespace {

RecordSet mx_answer(std::vector<MxRecord> records) {
    RecordSet rs;
    rs.outcome = Outcome::kAnswer;
    rs.mx = std::move(records);
    return rs;
}

RecordSet failure(Outcome outcome, std::string error) {
    RecordSet rs;
    rs.outcome = outcome;
    rs.error = std::move(error);
    return rs;
}

RecordSet addresses(std::vector<Address> a) {
    RecordSet rs;
    rs.outcome = Outcome::kAnswer;
    rs.addresses = std::move(a);
    return rs;
}

}  // namespace

TEST(MxOrder, SortsByPreferenceAscending) {
    std::mt19937_64 rng(1);
    auto out = order_mx({{"c.test", 30}, {"a.test", 10}, {"b.test", 20}}, rng);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0], (MxRecord{"a.test", 10}));
    EXPECT_EQ(out[1], (MxRecord{"b.test", 20}));
    EXPECT_EQ(out[2], (MxRecord{"c.test", 30}));
}

TEST(MxOrder, EqualPreferencesAppearInEveryOrder) {
    std::mt19937_64 rng(42);
    std::set<std::vector<std::string>> seen;
    for (int i = 0; i < 600; ++i) {
        auto out = order_mx({{"a.test", 10}, {"b.test", 10}, {"c.test", 10}}, rng);
        std::vector<std::string> names;
        for (auto& r : out) names.push_back(r.host);
        seen.insert(names);
    }
    EXPECT_EQ(seen.size(), 6u);  // all 3! permutations
}

TEST(MxOrder, ShufflesOnlyWithinAPreference) {
    std::mt19937_64 rng(7);
    std::map<std::string, int> first_of_group;
    for (int i = 0; i < 500; ++i) {
        auto out = order_mx({{"b2.test", 20}, {"a1.test", 10}, {"c.test", 30}, {"b1.test", 20}, {"a2.test", 10}}, rng);
        ASSERT_EQ(out.size(), 5u);
        EXPECT_EQ(out[0].preference, 10);
        EXPECT_EQ(out[1].preference, 10);
        EXPECT_EQ(out[2].preference, 20);
        EXPECT_EQ(out[3].preference, 20);
        EXPECT_EQ(out[4], (MxRecord{"c.test", 30}));
        EXPECT_EQ(out[0].host[0], 'a');
        EXPECT_EQ(out[2].host[0], 'b');
        ++first_of_group[out[0].host];
        ++first_of_group[out[2].host];
    }
    // Both members of each tie lead their group sometimes.
    for (const char* h : {"a1.test", "a2.test", "b1.test", "b2.test"}) {
        EXPECT_GT(first_of_group[h], 150) << h;
    }
}

TEST(MxOrder, DropsRootTargetsAndDuplicatesAndNormalises) {
    std::mt19937_64 rng(3);
    auto out = order_mx({{"MX.Example.TEST.", 20}, {"", 0}, {"mx.example.test", 10}, {"other.test", 30}}, rng);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0], (MxRecord{"mx.example.test", 10}));
    EXPECT_EQ(out[1], (MxRecord{"other.test", 30}));
}

TEST(NullMx, DetectedOnlyAsTheSingleRootRecord) {
    EXPECT_TRUE(is_null_mx({{"", 0}}));
    EXPECT_TRUE(is_null_mx({{".", 0}}));
    EXPECT_FALSE(is_null_mx({}));
    EXPECT_FALSE(is_null_mx({{"mx.test", 0}}));
    EXPECT_FALSE(is_null_mx({{"", 0}, {"mx.test", 10}}));
}

TEST(PlanMx, NullMxIsPermanentWithRfc7505Message) {
    std::mt19937_64 rng(1);
    auto plan = plan_mx("example.test", mx_answer({{"", 0}}), rng, 10);
    ASSERT_FALSE(plan.ok());
    EXPECT_EQ(status_of(plan.error()), DnsStatus::kPermanent);
    EXPECT_EQ(plan.error().message, "domain example.test has a null MX (RFC 7505)");
}

TEST(PlanMx, NoDataMeansImplicitMxOfTheDomainItself) {
    std::mt19937_64 rng(1);
    auto plan = plan_mx("example.test", failure(Outcome::kNoData, "no MX records for example.test"), rng, 10);
    ASSERT_TRUE(plan.ok());
    EXPECT_TRUE(plan->implicit);
    ASSERT_EQ(plan->targets.size(), 1u);
    EXPECT_EQ(plan->targets[0], (MxRecord{"example.test", 0}));
}

TEST(PlanMx, NxDomainIsPermanentAndTimeoutTemporary) {
    std::mt19937_64 rng(1);
    auto nx = plan_mx("x.test", failure(Outcome::kNxDomain, "NXDOMAIN for x.test"), rng, 10);
    ASSERT_FALSE(nx.ok());
    EXPECT_EQ(status_of(nx.error()), DnsStatus::kPermanent);
    EXPECT_EQ(nx.error().message, "NXDOMAIN for x.test");
    auto tmp = plan_mx("x.test", failure(Outcome::kTemporary, "DNS timeout for x.test (MX)"), rng, 10);
    ASSERT_FALSE(tmp.ok());
    EXPECT_EQ(status_of(tmp.error()), DnsStatus::kTemporary);
    EXPECT_EQ(tmp.error().message, "DNS timeout for x.test (MX)");
}

TEST(PlanMx, OrdersAndLimitsTheHosts) {
    std::mt19937_64 rng(1);
    auto plan = plan_mx("d.test", mx_answer({{"c.test", 30}, {"a.test", 10}, {"b.test", 20}}), rng, 2);
    ASSERT_TRUE(plan.ok());
    EXPECT_FALSE(plan->implicit);
    ASSERT_EQ(plan->targets.size(), 2u);
    EXPECT_EQ(plan->targets[0].host, "a.test");
    EXPECT_EQ(plan->targets[1].host, "b.test");
}

TEST(CombineAddresses, Ipv6FirstThenIpv4) {
    auto r = combine_addresses("h.test", addresses({{"2001:db8::1", AF_INET6}}), addresses({{"192.0.2.1", AF_INET}}));
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0], (Address{"2001:db8::1", AF_INET6}));
    EXPECT_EQ((*r)[1], (Address{"192.0.2.1", AF_INET}));
}

TEST(CombineAddresses, OneFamilySufficesEvenIfTheOtherFailed) {
    auto r = combine_addresses("h.test", failure(Outcome::kTemporary, "DNS timeout for h.test (AAAA)"),
                               addresses({{"192.0.2.1", AF_INET}}));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->size(), 1u);
}

TEST(CombineAddresses, FailureClasses) {
    auto tmp = combine_addresses("h.test", failure(Outcome::kNoData, "no AAAA records for h.test"),
                                 failure(Outcome::kTemporary, "SERVFAIL for h.test (A)"));
    ASSERT_FALSE(tmp.ok());
    EXPECT_EQ(status_of(tmp.error()), DnsStatus::kTemporary);
    EXPECT_EQ(tmp.error().message, "SERVFAIL for h.test (A)");

    auto nx = combine_addresses("h.test", failure(Outcome::kNxDomain, "NXDOMAIN for h.test"),
                                failure(Outcome::kNxDomain, "NXDOMAIN for h.test"));
    ASSERT_FALSE(nx.ok());
    EXPECT_EQ(status_of(nx.error()), DnsStatus::kPermanent);
    EXPECT_EQ(nx.error().message, "NXDOMAIN for h.test");

    auto nodata = combine_addresses("h.test", failure(Outcome::kNoData, "x"), failure(Outcome::kNoData, "y"));
    ASSERT_FALSE(nodata.ok());
    EXPECT_EQ(status_of(nodata.error()), DnsStatus::kPermanent);
    EXPECT_EQ(nodata.error().message, "no A or AAAA records for h.test");
}

TEST(FinishMx, SomeHostsWithoutAddressesMarksPartial) {
    MxResult r;
    r.domain = "d.test";
    r.hosts.push_back(MxHost{"a.test", 10, {}, DnsStatus::kPermanent, "NXDOMAIN for a.test"});
    r.hosts.push_back(MxHost{"b.test", 20, {{"192.0.2.2", AF_INET}}, DnsStatus::kOk, {}});
    auto out = finish_mx(r);
    ASSERT_TRUE(out.ok());
    EXPECT_TRUE(out->partial);
    EXPECT_EQ(out->hosts.size(), 2u);
}

TEST(FinishMx, NoHostWithAnAddressFails) {
    MxResult r;
    r.domain = "d.test";
    r.hosts.push_back(MxHost{"a.test", 10, {}, DnsStatus::kPermanent, "NXDOMAIN for a.test"});
    auto perm = finish_mx(r);
    ASSERT_FALSE(perm.ok());
    EXPECT_EQ(status_of(perm.error()), DnsStatus::kPermanent);
    EXPECT_EQ(perm.error().message, "no MX host of d.test has an address (a.test: NXDOMAIN for a.test)");

    r.hosts.push_back(MxHost{"b.test", 20, {}, DnsStatus::kTemporary, "DNS timeout for b.test (A)"});
    auto tmp = finish_mx(r);
    ASSERT_FALSE(tmp.ok());
    EXPECT_EQ(status_of(tmp.error()), DnsStatus::kTemporary);
    EXPECT_NE(tmp.error().message.find("DNS timeout for b.test"), std::string::npos);
}

TEST(FinishMx, ImplicitMxWithoutAddressesSaysSo) {
    MxResult r;
    r.domain = "d.test";
    r.implicit_mx = true;
    r.hosts.push_back(MxHost{"d.test", 0, {}, DnsStatus::kPermanent, "no A or AAAA records for d.test"});
    auto out = finish_mx(r);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(status_of(out.error()), DnsStatus::kPermanent);
    EXPECT_EQ(out.error().message, "domain d.test has no MX, A or AAAA records");
}

TEST(Names, NormaliseAndLiterals) {
    EXPECT_EQ(normalize_name("Example.TEST."), "example.test");
    EXPECT_EQ(normalize_name("a.b"), "a.b");
    EXPECT_EQ(parse_ip_literal("[192.0.2.1]"), (Address{"192.0.2.1", AF_INET}));
    EXPECT_EQ(parse_ip_literal("[IPv6:2001:DB8::1]"), (Address{"2001:db8::1", AF_INET6}));
    EXPECT_EQ(parse_ip_literal("::1"), (Address{"::1", AF_INET6}));
    EXPECT_EQ(parse_ip_literal("198.51.100.7"), (Address{"198.51.100.7", AF_INET}));
    EXPECT_FALSE(parse_ip_literal("example.test").has_value());
    EXPECT_FALSE(parse_ip_literal("[300.1.1.1]").has_value());
    EXPECT_FALSE(parse_ip_literal("[]").has_value());
}

TEST(DnsStatusCode, CarriedInErrorCode) {
    Error e = dns_error(DnsStatus::kTemporary, "x");
    EXPECT_EQ(e.code, make_error_code(DnsStatus::kTemporary));
    EXPECT_EQ(status_of(e), DnsStatus::kTemporary);
    EXPECT_EQ(status_of(dns_error(DnsStatus::kPermanent, "y")), DnsStatus::kPermanent);
}
