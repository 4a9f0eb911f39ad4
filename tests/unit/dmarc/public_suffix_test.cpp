// Organizational domains through libpsl and Debian's Public Suffix List.
#include <gtest/gtest.h>

#include "temp_dir.hpp"
#include "dmarc/public_suffix.hpp"

using namespace ringpost::dmarc;

TEST(PublicSuffix, OrganizationalDomains) {
    const PublicSuffixList& psl = PublicSuffixList::system();
    EXPECT_NE(psl.source(), "none");
    EXPECT_EQ(psl.organizational_domain("example.co.uk"), "example.co.uk");
    EXPECT_EQ(psl.organizational_domain("mail.example.co.uk"), "example.co.uk");
    EXPECT_EQ(psl.organizational_domain("a.b.example.com"), "example.com");
    EXPECT_EQ(psl.organizational_domain("A.B.Example.COM."), "example.com");
    EXPECT_EQ(psl.organizational_domain("example.com"), "example.com");
    // Private suffixes count too: each github.io site is its own organization.
    EXPECT_EQ(psl.organizational_domain("www.alice.github.io"), "alice.github.io");
    EXPECT_EQ(psl.organizational_domain(""), "");
}

TEST(PublicSuffix, BarePublicSuffixIsItsOwnOrganizationalDomain) {
    const PublicSuffixList& psl = PublicSuffixList::system();
    EXPECT_TRUE(psl.is_public_suffix("co.uk"));
    EXPECT_TRUE(psl.is_public_suffix("com"));
    EXPECT_FALSE(psl.is_public_suffix("example.com"));
    EXPECT_EQ(psl.organizational_domain("co.uk"), "co.uk");
    EXPECT_EQ(psl.organizational_domain("com"), "com");
    // Unlisted top-level domains follow the "*" rule.
    EXPECT_EQ(psl.organizational_domain("x.y.example.test"), "example.test");
}

TEST(PublicSuffix, InternationalizedDomainsInALabelForm) {
    const PublicSuffixList& psl = PublicSuffixList::system();
    // .рф is xn--p1ai; 公司.cn (xn--55qx5d.cn) is a listed suffix under .cn.
    EXPECT_EQ(psl.organizational_domain("mail.xn--80ak6aa92e.xn--p1ai"), "xn--80ak6aa92e.xn--p1ai");
    EXPECT_TRUE(psl.is_public_suffix("xn--55qx5d.cn"));
    EXPECT_EQ(psl.organizational_domain("www.xn--fiqs8s.xn--55qx5d.cn"), "xn--fiqs8s.xn--55qx5d.cn");
}

TEST(PublicSuffix, ListFromAFile) {
    ringpost::test::TempDir dir;
    const std::string path = dir.write("list.dat", "// test list\nexample\nsub.example\n");
    auto psl = PublicSuffixList::load_file(path);
    ASSERT_NE(psl, nullptr);
    EXPECT_EQ(psl->source(), path);
    EXPECT_EQ(psl->organizational_domain("a.b.sub.example"), "b.sub.example");
    EXPECT_EQ(psl->organizational_domain("a.b.example"), "b.example");
    EXPECT_EQ(PublicSuffixList::load_file(dir.path() + "/missing.dat"), nullptr);
}
