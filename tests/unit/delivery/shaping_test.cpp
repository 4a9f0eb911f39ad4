// Which site a destination domain belongs to: MX rollup, rules by domain
// and by MX host pattern (the most specific wins), the limits a rule sets
// over the defaults.
#include "delivery/shaping.hpp"

#include <gtest/gtest.h>

#include "delivery/targets.hpp"

using namespace ringpost::delivery;
using namespace std::chrono_literals;

namespace {

std::vector<Target> mx(std::initializer_list<const char*> hosts, uint16_t port = 25) {
    std::vector<Target> t;
    for (const char* h : hosts) t.push_back(Target{h, "192.0.2.1", port});
    return t;
}

ShapingConfig config() {
    ShapingConfig c;
    c.defaults.max_connections = 20;
    ShapingRule google;
    google.name = "google";
    google.mx = {"*.google.com", "*.googlemail.com"};
    google.max_message_rate = Rate{300, 1min};
    google.tls = TlsPolicy::kVerify;
    ShapingRule corp;
    corp.name = "corp";
    corp.domains = {"corp.example", "*.corp.example"};
    corp.max_connections = 2;
    ShapingRule special;
    special.name = "special";
    special.mx = {"mx.special.google.com"};
    c.rules = {google, corp, special};
    return c;
}

}  // namespace

TEST(Shaping, DomainsWithTheSameMxHostsAreOneSite) {
    const ShapingConfig c = config();
    const SiteMatcher m(c.rules);
    const auto a = choose_site(c, m, "a.example", mx({"mx2.host.example", "MX1.host.example"}));
    const auto b = choose_site(c, m, "b.example", mx({"mx1.host.example", "mx2.host.example", "mx1.host.example"}));
    EXPECT_EQ(a.key, "mx1.host.example,mx2.host.example:25");
    EXPECT_EQ(a.key, b.key);
    EXPECT_EQ(a.limits, c.defaults);
    EXPECT_EQ(a.rule, "");
    EXPECT_NE(choose_site(c, m, "c.example", mx({"mx1.host.example"})).key, a.key) << "another host set";
    EXPECT_NE(choose_site(c, m, "d.example", mx({"mx1.host.example", "mx2.host.example"}, 2525)).key, a.key)
        << "another port";
    ShapingConfig off = c;
    off.mx_rollup = false;
    EXPECT_EQ(choose_site(off, m, "A.example", mx({"mx1.host.example"})).key, "a.example");
}

TEST(Shaping, ARuleMakesOneSiteOfEverythingItMatches) {
    const ShapingConfig c = config();
    const SiteMatcher m(c.rules);
    const auto gmail = choose_site(c, m, "gmail.com", mx({"gmail-smtp-in.l.google.com", "alt1.gmail-smtp-in.l.google.com"}));
    const auto hosted = choose_site(c, m, "startup.example", mx({"aspmx.l.google.com"}));
    EXPECT_EQ(gmail.key, "google");
    EXPECT_EQ(hosted.key, "google");
    EXPECT_EQ(gmail.limits.max_message_rate, (Rate{300, 1min}));
    EXPECT_EQ(gmail.limits.tls, TlsPolicy::kVerify);
    EXPECT_EQ(gmail.limits.max_connections, 20u) << "unset limits are the defaults";
    EXPECT_EQ(choose_site(c, m, "x.example", mx({"google.com"})).key, "google.com:25") << "*. needs a label before";
}

TEST(Shaping, TheMostSpecificPatternWins) {
    const ShapingConfig c = config();
    const SiteMatcher m(c.rules);
    // An exact MX name beats "*.google.com".
    EXPECT_EQ(choose_site(c, m, "s.example", mx({"mx.special.google.com"})).key, "special");
    // A domain pattern beats any MX pattern.
    EXPECT_EQ(choose_site(c, m, "corp.example", mx({"aspmx.l.google.com"})).key, "corp");
    EXPECT_EQ(choose_site(c, m, "eu.corp.example", mx({"aspmx.l.google.com"})).limits.max_connections, 2u);
    EXPECT_EQ(choose_site(c, m, "CORP.EXAMPLE", mx({"mx.other"})).key, "corp") << "names compare lower-cased";
}

TEST(Shaping, PatternsAreHostNames) {
    for (const char* ok : {"example.com", "*.example.com", "mx-1.example.com", "xn--bcher-kva.example"})
        EXPECT_TRUE(valid_site_pattern(ok)) << ok;
    for (const char* bad : {"", "*.", "*", "a..b", ".a", "a.", "a b", "*a.b", "a/b"})
        EXPECT_FALSE(valid_site_pattern(bad)) << bad;
}

TEST(Shaping, AThousandRulesCostAFewLookups) {
    ShapingConfig c;
    for (int i = 0; i < 1000; ++i) {
        ShapingRule r;
        r.name = "site" + std::to_string(i);
        r.mx = {"*.mx" + std::to_string(i) + ".example"};
        r.domains = {"d" + std::to_string(i) + ".example"};
        c.rules.push_back(r);
    }
    const SiteMatcher m(c.rules);
    EXPECT_EQ(choose_site(c, m, "x.test", mx({"a.mx737.example"})).key, "site737");
    EXPECT_EQ(choose_site(c, m, "d5.example", mx({"a.mx737.example"})).key, "site5");
    EXPECT_EQ(choose_site(c, m, "x.test", mx({"a.mx1000.example"})).key, "a.mx1000.example:25");
}
