// check_host() beyond the suite: the HELO identity, what a verdict says
// (the identity, the problem, the query count), limits counted across
// include and redirect, record parsing.
#include <gtest/gtest.h>

#include "fake_zone.hpp"
#include "spf/check_host.hpp"
#include "spf/record.hpp"

namespace ringpost::spf::test {
namespace {

using dns::test::FakeZone;
using dns::test::run_now;

void txt(FakeZone& z, const std::string& name, const std::string& text) { z.add(name, {dns::kTypeTxt, text}); }

TEST(SpfCheckHost, NullSenderChecksPostmasterAtHelo) {
    FakeZone zone;
    txt(zone, "mail.example.org", "v=spf1 ip4:192.0.2.0/24 -all");
    Verdict v = run_now(check_mail_from(zone, {"192.0.2.7", "", "mail.example.org"}, {}));
    EXPECT_EQ(v.result, Result::kPass);
    EXPECT_EQ(v.sender, "postmaster@mail.example.org");
    EXPECT_EQ(v.domain, "mail.example.org");
    EXPECT_EQ(v.queries, 1u);
}

TEST(SpfCheckHost, HeloIdentity) {
    FakeZone zone;
    txt(zone, "mail.example.org", "v=spf1 a -all");
    zone.add("mail.example.org", {dns::kTypeA, "192.0.2.9"});
    EXPECT_EQ(run_now(check_helo(zone, {"192.0.2.9", "x@elsewhere.example", "mail.example.org"}, {})).result,
              Result::kPass);
    EXPECT_EQ(run_now(check_helo(zone, {"192.0.2.10", "", "mail.example.org"}, {})).result, Result::kFail);
    // An address literal or a single label has no SPF record (RFC 7208 2.3, 4.3).
    Verdict literal = run_now(check_helo(zone, {"192.0.2.9", "", "[192.0.2.9]"}, {}));
    EXPECT_EQ(literal.result, Result::kNone);
    EXPECT_EQ(literal.queries, 0u);
}

TEST(SpfCheckHost, ExplanationWithMacros) {
    FakeZone zone;
    txt(zone, "example.org", "v=spf1 -all exp=why.%{d}");
    txt(zone, "why.example.org", "%{i} may not send for %{o} (%{s})");
    Verdict v = run_now(check_mail_from(zone, {"192.0.2.1", "bob@Example.org", "h.example.net"}, {}));
    EXPECT_EQ(v.result, Result::kFail);
    EXPECT_EQ(v.explanation, "192.0.2.1 may not send for Example.org (bob@Example.org)");
}

TEST(SpfCheckHost, TermLimitSpansIncludes) {
    FakeZone zone;
    // 5 a + include (6) + 5 a in the included record = 11 DNS terms.
    txt(zone, "example.org", "v=spf1 a a a a a include:inc.example.org -all");
    txt(zone, "inc.example.org", "v=spf1 a a a a a");
    zone.add("example.org", {dns::kTypeA, "192.0.2.1"});
    zone.add("inc.example.org", {dns::kTypeA, "192.0.2.1"});
    Verdict v = run_now(check_mail_from(zone, {"198.51.100.1", "a@example.org", "h.example.net"}, {}));
    EXPECT_EQ(v.result, Result::kPermError);
    EXPECT_EQ(v.problem, "more than 10 DNS lookups");
    Options lenient;
    lenient.max_dns_terms = 11;
    EXPECT_EQ(run_now(check_mail_from(zone, {"198.51.100.1", "a@example.org", "h.example.net"}, lenient)).result,
              Result::kFail);
}

TEST(SpfCheckHost, TemporaryFailureAndProblem) {
    FakeZone zone;
    zone.add_timeout("example.org");
    Verdict v = run_now(check_mail_from(zone, {"192.0.2.1", "a@example.org", "h.example.net"}, {}));
    EXPECT_EQ(v.result, Result::kTempError);
    EXPECT_EQ(v.problem, "DNS timeout for example.org");
    FakeZone none;
    Verdict n = run_now(check_mail_from(none, {"192.0.2.1", "a@example.org", "h.example.net"}, {}));
    EXPECT_EQ(n.result, Result::kNone);
}

TEST(SpfRecord, ParsesTermsAndModifiers) {
    std::string error;
    auto r = parse_record("v=spf1 +a:%{d}/24//64 ~mx -ip6:2001:db8::/32 ?exists:%{i}.x.example include:_spf.example.com "
                          "redirect=r.example.com exp=e.example.com other=%{d}",
                          error);
    ASSERT_TRUE(r) << error;
    ASSERT_EQ(r->terms.size(), 5u);
    EXPECT_EQ(r->terms[0].mechanism, Mechanism::kA);
    EXPECT_EQ(r->terms[0].domain_spec, "%{d}");
    EXPECT_EQ(r->terms[0].cidr4, 24u);
    EXPECT_EQ(r->terms[0].cidr6, 64u);
    EXPECT_EQ(r->terms[1].qualifier, Result::kSoftFail);
    EXPECT_EQ(r->terms[2].qualifier, Result::kFail);
    EXPECT_EQ(r->terms[2].cidr6, 32u);
    EXPECT_EQ(r->terms[3].qualifier, Result::kNeutral);
    EXPECT_EQ(r->redirect, "r.example.com");
    EXPECT_EQ(r->exp, "e.example.com");
    EXPECT_FALSE(r->has_all);
    EXPECT_FALSE(parse_record("v=spf1 mx:example.com:25", error));
    EXPECT_EQ(error, "invalid domain-spec 'example.com:25'");
}

TEST(SpfRecord, SelectsSpfRecords) {
    std::vector<std::string> texts{"v=spf1 -all", "v=spf10", "google-site-verification=x", "V=SPF1", "v=spf1x"};
    auto found = spf_records(texts);
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0], "v=spf1 -all");
    EXPECT_EQ(found[1], "V=SPF1");
}

}  // namespace
}  // namespace ringpost::spf::test
