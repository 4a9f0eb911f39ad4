// The DMARC record parser (RFC 7489 6.3, RFC 9091's np=).
#include <gtest/gtest.h>

#include "dmarc/record.hpp"

using namespace ringpost::dmarc;

namespace {

Record parsed(std::string_view txt) {
    auto r = parse_record(txt);
    EXPECT_TRUE(r.ok()) << txt << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? r.value() : Record{};
}

// RFC 7489 6.3's defaults of the tags a record may leave out (or get wrong).
void expect_default_reporting_and_alignment(const Record& r) {
    EXPECT_EQ(r.adkim, Alignment::kRelaxed);
    EXPECT_EQ(r.aspf, Alignment::kRelaxed);
    EXPECT_EQ(r.pct, 100);
    EXPECT_EQ(r.fo, "0");
    EXPECT_EQ(r.rf, "afrf");
    EXPECT_EQ(r.ri, 86400u);
}

}  // namespace

TEST(DmarcRecord, EveryTagParsed) {
    Record r = parsed(
        "v=DMARC1; p=reject; sp=quarantine; np=none; adkim=s; aspf=s; pct=25; fo=1:d; rf=afrf; ri=3600; "
        "rua=mailto:agg@example.com!10m, mailto:other@example.net; ruf=mailto:forensic@example.com");
    EXPECT_EQ(r.p, Policy::kReject);
    EXPECT_EQ(r.sp, Policy::kQuarantine);
    EXPECT_EQ(r.np, Policy::kNone);
    EXPECT_EQ(r.adkim, Alignment::kStrict);
    EXPECT_EQ(r.aspf, Alignment::kStrict);
    EXPECT_EQ(r.pct, 25);
    EXPECT_EQ(r.fo, "1:d");
    EXPECT_EQ(r.rf, "afrf");
    EXPECT_EQ(r.ri, 3600u);
    EXPECT_EQ(r.rua, (std::vector<std::string>{"mailto:agg@example.com!10m", "mailto:other@example.net"}));
    EXPECT_EQ(r.ruf, (std::vector<std::string>{"mailto:forensic@example.com"}));
    EXPECT_FALSE(r.p_defaulted);
}

TEST(DmarcRecord, DefaultsOfAMinimalRecord) {
    Record r = parsed("v=DMARC1; p=quarantine");
    EXPECT_EQ(r.p, Policy::kQuarantine);
    EXPECT_FALSE(r.sp.has_value());
    EXPECT_FALSE(r.np.has_value());
    EXPECT_EQ(r.subdomain_policy(), Policy::kQuarantine);
    EXPECT_EQ(r.nonexistent_policy(), Policy::kQuarantine);
    expect_default_reporting_and_alignment(r);
    EXPECT_TRUE(r.rua.empty());
    // np= falls back to sp= before p=.
    EXPECT_EQ(parsed("v=DMARC1; p=reject; sp=none").nonexistent_policy(), Policy::kNone);
}

TEST(DmarcRecord, WhitespaceAndCase) {
    Record r = parsed("  V = DMARC1 ;\tP = Reject ; SP=NONE;ADKIM=S ;  pct = 0 ;");
    EXPECT_EQ(r.p, Policy::kReject);
    EXPECT_EQ(r.sp, Policy::kNone);
    EXPECT_EQ(r.adkim, Alignment::kStrict);
    EXPECT_EQ(r.pct, 0);
    // DMARC1 itself must match exactly (6.3).
    EXPECT_FALSE(parse_record("v=dmarc1; p=none").ok());
    EXPECT_FALSE(is_dmarc_record("v=dmarc1; p=none"));
    EXPECT_TRUE(is_dmarc_record(" v =DMARC1"));
}

TEST(DmarcRecord, VersionMustComeFirst) {
    EXPECT_FALSE(parse_record("p=reject; v=DMARC1").ok());
    EXPECT_FALSE(is_dmarc_record("p=reject; v=DMARC1"));
    EXPECT_FALSE(is_dmarc_record("v=spf1 -all"));
    EXPECT_FALSE(is_dmarc_record("v=DMARC10; p=none"));
    EXPECT_FALSE(parse_record("").ok());
}

TEST(DmarcRecord, MissingOrInvalidPolicyWithoutRuaGivesNoPolicy) {
    auto missing = parse_record("v=DMARC1; sp=reject");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().message, "no valid p= tag");
    EXPECT_FALSE(parse_record("v=DMARC1; p=bounce").ok());
    auto bad_sp = parse_record("v=DMARC1; p=reject; sp=maybe");
    ASSERT_FALSE(bad_sp.ok());
    EXPECT_EQ(bad_sp.error().message, "invalid sp= tag");
    // A rua that is not a URI does not save it.
    EXPECT_FALSE(parse_record("v=DMARC1; p=bounce; rua=agg@example.com").ok());
}

TEST(DmarcRecord, MissingOrInvalidPolicyWithValidRuaIsPolicyNone) {
    Record r = parsed("v=DMARC1; p=bounce; sp=reject; pct=50; rua=mailto:agg@example.com");
    EXPECT_EQ(r.p, Policy::kNone);
    EXPECT_EQ(r.subdomain_policy(), Policy::kNone);
    EXPECT_TRUE(r.p_defaulted);
    EXPECT_EQ(r.rua, (std::vector<std::string>{"mailto:agg@example.com"}));
    Record no_p = parsed("v=DMARC1; rua=mailto:agg@example.com");
    EXPECT_EQ(no_p.p, Policy::kNone);
    EXPECT_TRUE(no_p.p_defaulted);
}

TEST(DmarcRecord, UnknownTagsAreIgnoredAndRepeatsKeepTheFirst) {
    Record r = parsed("v=DMARC1; p=reject; future=thing; x_y=1; p=none");
    EXPECT_EQ(r.p, Policy::kReject);
}

TEST(DmarcRecord, InvalidValuesOfOtherTagsKeepTheirDefaults) {
    Record r = parsed("v=DMARC1; p=none; adkim=x; aspf=; pct=101; fo=2; rf=a-b; ri=-1; np=never; rua=nope, mailto:a@b");
    expect_default_reporting_and_alignment(r);
    EXPECT_FALSE(r.np.has_value());
    EXPECT_EQ(r.rua, (std::vector<std::string>{"mailto:a@b"}));
    EXPECT_EQ(parsed("v=DMARC1; p=none; pct=1000").pct, 100);
}

TEST(DmarcRecord, MalformedTagListIsAnError) {
    EXPECT_FALSE(parse_record("v=DMARC1; p=reject; garbage").ok());
    EXPECT_FALSE(parse_record("v=DMARC1; =reject").ok());
    EXPECT_FALSE(parse_record("v=DMARC1; 1p=reject").ok());
    EXPECT_TRUE(parse_record("v=DMARC1;; p=reject;;").ok());
    EXPECT_EQ(policy_name(Policy::kQuarantine), "quarantine");
}
