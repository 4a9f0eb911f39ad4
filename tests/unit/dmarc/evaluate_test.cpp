// DMARC evaluation over DNS answers from an in-memory zone: the From domain, discovery
// with its fallback to the organizational domain, SPF and DKIM alignment,
// p=/sp=/np=, pct= sampling, and the Authentication-Results entry.
#include <gtest/gtest.h>

#include "dmarc/alignment.hpp"
#include "dmarc/evaluate.hpp"
#include "fake_zone.hpp"

using namespace ringpost;
using namespace ringpost::dmarc;
using ringpost::dns::test::run_now;

namespace {

class DmarcEvaluate : public ::testing::Test {
protected:
    Verdict run(const std::string& from, SpfInput spf, std::vector<DkimInput> dkim = {}, int percentile = 0) {
        Inputs in;
        in.author = author_of_domain(from);
        in.spf = std::move(spf);
        in.dkim = std::move(dkim);
        in.count_length_limited_dkim = count_length_limited_;
        return run_now(evaluate(dns_, PublicSuffixList::system(), std::move(in), [percentile] { return percentile; }));
    }
    dns::test::FakeZone dns_;
    bool count_length_limited_ = true;
};

const SpfInput kSpfFail{false, ""};

}  // namespace

TEST(DmarcAuthor, ExactlyOneFromDomain) {
    EXPECT_EQ(author_of_message("From: Ann <ann@Mail.Example.COM>\r\nTo: b@x\r\n\r\nbody").domain, "mail.example.com");
    // Several mailboxes of one domain are evaluated once.
    EXPECT_EQ(author_of_message("From: a@example.com, b@EXAMPLE.com\r\n\r\n").domain, "example.com");
    EXPECT_EQ(author_of_message("From: a@example.com, b@other.example\r\n\r\n").problem, "several From domains");
    EXPECT_EQ(author_of_message("From: a@example.com\r\nFrom: a@example.com\r\n\r\n").problem,
              "several From fields");
    EXPECT_EQ(author_of_message("Subject: x\r\n\r\nFrom: a@example.com\r\n").problem, "no From field");
    EXPECT_EQ(author_of_message("From: undisclosed:;\r\n\r\n").problem, "no address in From");
    EXPECT_EQ(author_of_message("From: root\r\n\r\n").problem, "a From address without a domain");
    EXPECT_FALSE(author_of_message("From: a@[192.0.2.1]\r\n\r\n").evaluable());
    EXPECT_EQ(author_of_message("From: a@b\xc3\xbc" "cher.example\r\n\r\n").problem, "From domain not in A-label form");
    EXPECT_EQ(author_of_message("From: a@xn--bcher-kva.example\r\n\r\n").domain, "xn--bcher-kva.example");
    EXPECT_FALSE(author_of_domain("a..example").evaluable());
    EXPECT_FALSE(author_of_domain(std::string(64, 'a') + ".example").evaluable());
}

TEST(DmarcAlignment, StrictAndRelaxed) {
    const PublicSuffixList& psl = PublicSuffixList::system();
    EXPECT_TRUE(aligned("example.com", "EXAMPLE.com.", Alignment::kStrict, psl));
    EXPECT_FALSE(aligned("example.com", "mail.example.com", Alignment::kStrict, psl));
    EXPECT_TRUE(aligned("example.com", "mail.example.com", Alignment::kRelaxed, psl));
    EXPECT_TRUE(aligned("news.example.co.uk", "bounce.example.co.uk", Alignment::kRelaxed, psl));
    EXPECT_FALSE(aligned("example.co.uk", "other.co.uk", Alignment::kRelaxed, psl));
    EXPECT_FALSE(aligned("example.com", "example.net", Alignment::kRelaxed, psl));
    EXPECT_FALSE(aligned("example.com", "", Alignment::kRelaxed, psl));
}

TEST_F(DmarcEvaluate, AlignedSpfPassesRelaxedButNotStrict) {
    dns_.txt("_dmarc.example.com", {"v=DMARC1; p=reject"});
    Verdict v = run("example.com", {true, "bounces.example.com"});
    EXPECT_EQ(v.status, Status::kPass);
    EXPECT_TRUE(v.spf_aligned);
    EXPECT_EQ(v.disposition, Policy::kNone);
    EXPECT_EQ(authres_entry(v), "dmarc=pass (p=reject dis=none) header.from=example.com policy.dmarc=none");

    dns_.txt("_dmarc.example.com", {"v=DMARC1; p=reject; aspf=s"});
    v = run("example.com", {true, "bounces.example.com"});
    EXPECT_EQ(v.status, Status::kFail);
    EXPECT_FALSE(v.spf_aligned);
    EXPECT_EQ(v.disposition, Policy::kReject);
    EXPECT_EQ(authres_entry(v), "dmarc=fail (p=reject dis=reject) header.from=example.com policy.dmarc=reject");
    // An SPF failure never aligns.
    EXPECT_EQ(run("example.com", {false, "example.com"}).status, Status::kFail);
}

TEST_F(DmarcEvaluate, AlignedDkimPassesRelaxedButNotStrict) {
    dns_.txt("_dmarc.example.com", {"v=DMARC1; p=quarantine"});
    Verdict v = run("example.com", kSpfFail, {{false, "example.com", false}, {true, "mail.example.com", false}});
    EXPECT_EQ(v.status, Status::kPass);
    EXPECT_EQ(v.dkim_aligned, "mail.example.com");
    EXPECT_FALSE(v.spf_aligned);

    dns_.txt("_dmarc.example.com", {"v=DMARC1; p=quarantine; adkim=s"});
    v = run("example.com", kSpfFail, {{true, "mail.example.com", false}, {true, "esp.example", false}});
    EXPECT_EQ(v.status, Status::kFail);
    EXPECT_EQ(v.disposition, Policy::kQuarantine);
    v = run("example.com", kSpfFail, {{true, "esp.example", false}, {true, "Example.COM", false}});
    EXPECT_EQ(v.status, Status::kPass);
    EXPECT_EQ(v.dkim_aligned, "example.com");
}

TEST_F(DmarcEvaluate, BodyLengthLimitedSignatureCountsUnlessRefused) {
    dns_.txt("_dmarc.example.com", {"v=DMARC1; p=reject"});
    EXPECT_EQ(run("example.com", kSpfFail, {{true, "example.com", true}}).status, Status::kPass);
    count_length_limited_ = false;
    EXPECT_EQ(run("example.com", kSpfFail, {{true, "example.com", true}}).status, Status::kFail);
    EXPECT_EQ(run("example.com", kSpfFail, {{true, "example.com", true}, {true, "example.com", false}}).status,
              Status::kPass);
}

TEST_F(DmarcEvaluate, DiscoveryFallsBackToTheOrganizationalDomain) {
    dns_.txt("_dmarc.news.example.co.uk", {"v=spf1 -all", "some other text"});
    dns_.txt("_dmarc.example.co.uk", {"v=DMARC1; p=reject; sp=quarantine"});
    Verdict v = run("news.example.co.uk", kSpfFail);
    EXPECT_EQ(dns_.asked, (std::vector<std::string>{"_dmarc.news.example.co.uk", "_dmarc.example.co.uk"}));
    EXPECT_EQ(v.status, Status::kFail);
    EXPECT_TRUE(v.organizational);
    EXPECT_EQ(v.policy_domain, "example.co.uk");
    // sp= applies to the subdomain.
    EXPECT_EQ(v.requested, Policy::kQuarantine);
    EXPECT_EQ(v.disposition, Policy::kQuarantine);
    ASSERT_TRUE(v.record.has_value());
    EXPECT_EQ(v.record->p, Policy::kReject);
}

TEST_F(DmarcEvaluate, RecordOfTheFromDomainItselfUsesP) {
    dns_.txt("_dmarc.news.example.com", {"v=DMARC1; p=none; sp=reject"});
    dns_.txt("_dmarc.example.com", {"v=DMARC1; p=reject"});
    Verdict v = run("news.example.com", kSpfFail);
    EXPECT_EQ(dns_.asked, (std::vector<std::string>{"_dmarc.news.example.com"}));
    EXPECT_FALSE(v.organizational);
    EXPECT_EQ(v.requested, Policy::kNone);
    EXPECT_EQ(authres_entry(v), "dmarc=fail (p=none dis=none) header.from=news.example.com policy.dmarc=none");
}

TEST_F(DmarcEvaluate, NoRecordAnywhereIsNone) {
    Verdict v = run("a.b.example.com", {true, "a.b.example.com"});
    EXPECT_EQ(v.status, Status::kNone);
    EXPECT_EQ(dns_.asked, (std::vector<std::string>{"_dmarc.a.b.example.com", "_dmarc.example.com"}));
    EXPECT_EQ(authres_entry(v), "dmarc=none header.from=a.b.example.com");
    // The organizational domain is asked once only.
    dns_.asked.clear();
    EXPECT_EQ(run("example.com", kSpfFail).status, Status::kNone);
    EXPECT_EQ(dns_.asked, (std::vector<std::string>{"_dmarc.example.com"}));
}

TEST_F(DmarcEvaluate, SeveralRecordsMeanNoPolicyWithoutFallback) {
    dns_.txt("_dmarc.sub.example.com", {"v=DMARC1; p=reject", "v=DMARC1; p=none"});
    dns_.txt("_dmarc.example.com", {"v=DMARC1; p=reject"});
    Verdict v = run("sub.example.com", kSpfFail);
    EXPECT_EQ(v.status, Status::kNone);
    EXPECT_EQ(v.reason, "several DMARC records at _dmarc.sub.example.com");
    EXPECT_EQ(dns_.asked.size(), 1u);
    // So does an invalid record.
    dns_.txt("_dmarc.sub.example.com", {"v=DMARC1; p=bogus"});
    EXPECT_EQ(run("sub.example.com", kSpfFail).status, Status::kNone);
}

TEST_F(DmarcEvaluate, TemporaryDnsFailureIsTempError) {
    dns_.outcome("_dmarc.example.com", dns::kTypeTxt, dns::Outcome::kTemporary);
    Verdict v = run("example.com", {true, "example.com"});
    EXPECT_EQ(v.status, Status::kTempError);
    EXPECT_EQ(authres_entry(v), "dmarc=temperror header.from=example.com");
    // At the organizational domain too, after an empty answer for the subdomain.
    dns_.outcome("_dmarc.sub.example.com", dns::kTypeTxt, dns::Outcome::kNoData);
    EXPECT_EQ(run("sub.example.com", kSpfFail).status, Status::kTempError);
}

TEST_F(DmarcEvaluate, UnevaluableFromIsPermError) {
    Inputs in;
    in.author = author_of_message("From: a@example.com, b@example.net\r\n\r\n");
    Verdict v = run_now(evaluate(dns_, PublicSuffixList::system(), std::move(in), random_percentile()));
    EXPECT_EQ(v.status, Status::kPermError);
    EXPECT_TRUE(dns_.asked.empty());
    EXPECT_EQ(authres_entry(v), "dmarc=permerror (several From domains)");
}

TEST_F(DmarcEvaluate, PctSamplesFailures) {
    dns_.txt("_dmarc.example.com", {"v=DMARC1; p=reject; pct=0"});
    Verdict v = run("example.com", kSpfFail, {}, 0);
    EXPECT_FALSE(v.sampled);
    EXPECT_EQ(v.requested, Policy::kReject);
    EXPECT_EQ(v.disposition, Policy::kQuarantine);   // one step milder
    EXPECT_EQ(authres_entry(v), "dmarc=fail (p=reject dis=quarantine) header.from=example.com policy.dmarc=quarantine");

    dns_.txt("_dmarc.example.com", {"v=DMARC1; p=quarantine; pct=100"});
    v = run("example.com", kSpfFail, {}, 99);
    EXPECT_TRUE(v.sampled);
    EXPECT_EQ(v.disposition, Policy::kQuarantine);

    dns_.txt("_dmarc.example.com", {"v=DMARC1; p=quarantine; pct=30"});
    EXPECT_EQ(run("example.com", kSpfFail, {}, 29).disposition, Policy::kQuarantine);
    v = run("example.com", kSpfFail, {}, 30);
    EXPECT_FALSE(v.sampled);
    EXPECT_EQ(v.disposition, Policy::kNone);
}

TEST(DmarcPercentile, RandomPercentileStaysInRange) {
    Percentile p = random_percentile();
    bool low = false, high = false;
    for (int i = 0; i < 2000; ++i) {
        const int x = p();
        ASSERT_GE(x, 0);
        ASSERT_LT(x, 100);
        low = low || x < 50;
        high = high || x >= 50;
    }
    EXPECT_TRUE(low && high);
}

TEST_F(DmarcEvaluate, NpAppliesToNonexistentSubdomains) {
    dns_.txt("_dmarc.example.com", {"v=DMARC1; p=none; sp=quarantine; np=reject"});
    // ghost.example.com: NXDOMAIN for A (the zone's default).
    Verdict v = run("ghost.example.com", kSpfFail);
    EXPECT_TRUE(v.nonexistent);
    EXPECT_EQ(v.requested, Policy::kReject);
    EXPECT_EQ(v.disposition, Policy::kReject);
    // NODATA for A, AAAA and MX: does not exist either.
    for (uint16_t type : {dns::kTypeA, dns::kTypeAaaa, dns::kTypeMx})
        dns_.outcome("empty.example.com", type, dns::Outcome::kNoData);
    EXPECT_EQ(run("empty.example.com", kSpfFail).requested, Policy::kReject);
    // A subdomain with an address exists: sp=.
    dns_.add("www.example.com", {dns::kTypeA, "192.0.2.1"});
    v = run("www.example.com", kSpfFail);
    EXPECT_FALSE(v.nonexistent);
    EXPECT_EQ(v.requested, Policy::kQuarantine);
    // So does one whose lookup failed: the milder policy.
    dns_.outcome("flaky.example.com", dns::kTypeA, dns::Outcome::kTemporary);
    EXPECT_EQ(run("flaky.example.com", kSpfFail).requested, Policy::kQuarantine);
    // np= is not for the organizational domain itself.
    EXPECT_EQ(run("example.com", kSpfFail).requested, Policy::kNone);
}

TEST_F(DmarcEvaluate, ExistenceIsNotAskedWhenNpChangesNothing) {
    dns_.txt("_dmarc.example.com", {"v=DMARC1; p=reject"});
    Verdict v = run("ghost.example.com", kSpfFail);
    EXPECT_EQ(v.requested, Policy::kReject);
    EXPECT_EQ(dns_.asked, (std::vector<std::string>{"_dmarc.ghost.example.com", "_dmarc.example.com"}));
}
