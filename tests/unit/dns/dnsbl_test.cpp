// DNSBL sites as postscreen_dnsbl_sites writes them, reply codes, scores.
#include <gtest/gtest.h>

#include "dns/dnsbl.hpp"

namespace ringpost::dns {
namespace {

DnsblSite site(std::string_view text) {
    auto parsed = parse_dnsbl_site(text);
    EXPECT_TRUE(parsed) << text << ": " << (parsed ? "" : parsed.error().message);
    return parsed ? *parsed : DnsblSite{};
}

TEST(DnsblSite, ZoneWeightAndFilter) {
    DnsblSite plain = site("Zen.Test.");
    EXPECT_EQ(plain.zone, "zen.test");
    EXPECT_EQ(plain.weight, 1);
    EXPECT_EQ(plain.filter, "");
    EXPECT_TRUE(plain.accepts({127, 0, 0, 200}));

    DnsblSite weighted = site("zen.test*3");
    EXPECT_EQ(weighted.zone, "zen.test");
    EXPECT_EQ(weighted.weight, 3);

    DnsblSite allow = site("wl.test*-2");
    EXPECT_EQ(allow.weight, -2);

    DnsblSite filtered = site("bl.test=127.0.0.[2..11;20]*2");
    EXPECT_EQ(filtered.zone, "bl.test");
    EXPECT_EQ(filtered.filter, "127.0.0.[2..11;20]");
    EXPECT_EQ(filtered.weight, 2);
    EXPECT_TRUE(filtered.accepts({127, 0, 0, 2}));
    EXPECT_TRUE(filtered.accepts({127, 0, 0, 11}));
    EXPECT_TRUE(filtered.accepts({127, 0, 0, 20}));
    EXPECT_FALSE(filtered.accepts({127, 0, 0, 12}));
    EXPECT_FALSE(filtered.accepts({127, 0, 1, 2}));

    DnsblSite exact = site("bl.test=127.0.0.4");
    EXPECT_TRUE(exact.accepts({127, 0, 0, 4}));
    EXPECT_FALSE(exact.accepts({127, 0, 0, 2}));
}

TEST(DnsblSite, RefusesMalformedEntries) {
    for (const char* bad : {"", "*3", "zen.test*", "zen.test*x", "zen.test*1.5", "zen.test*5000", "zen..test",
                            "zen test", "bl.test=127.0.0", "bl.test=127.0.0.256", "bl.test=127.0.0.[5..2]",
                            "bl.test=127.0.0.[]", "bl.test=127.0.0.2.1", "bl.test=", "bl.test=a.b.c.d"}) {
        auto parsed = parse_dnsbl_site(bad);
        EXPECT_FALSE(parsed) << bad;
        if (!parsed) {
            EXPECT_NE(parsed.error().message.find('"'), std::string::npos) << parsed.error().message;
        }
    }
}

TEST(DnsblCodes, QueryRefusedAndNonLoopbackAreErrors) {
    EXPECT_EQ(classify_dnsbl_address({127, 0, 0, 2}), DnsblCode::kListed);
    EXPECT_EQ(classify_dnsbl_address({127, 0, 0, 11}), DnsblCode::kListed);
    EXPECT_EQ(classify_dnsbl_address({127, 255, 255, 251}), DnsblCode::kListed);
    for (uint8_t last : {252, 253, 254, 255})
        EXPECT_EQ(classify_dnsbl_address({127, 255, 255, last}), DnsblCode::kQueryError);
    EXPECT_EQ(classify_dnsbl_address({10, 0, 0, 2}), DnsblCode::kNotLoopback);
    EXPECT_EQ(classify_dnsbl_address({192, 0, 2, 1}), DnsblCode::kNotLoopback);
}

TEST(DnsblScore, WeightsAddUpAcrossZones) {
    const std::vector<DnsblSite> sites = {site("zen.test*3"), site("bl.test=127.0.0.4*2"), site("wl.test*-2"),
                                          site("bl.test=127.0.0.5")};
    EXPECT_EQ(dnsbl_zones(sites), (std::vector<std::string>{"zen.test", "bl.test", "wl.test"}));

    DnsblScore none = score_dnsbl(sites, {{"zen.test", {}}, {"bl.test", {}}, {"wl.test", {}}});
    EXPECT_EQ(none.total, 0);
    EXPECT_EQ(none.top_zone, "");

    DnsblScore both = score_dnsbl(sites, {{"zen.test", {{127, 0, 0, 2}}}, {"bl.test", {{127, 0, 0, 4}}}});
    EXPECT_EQ(both.total, 5);
    EXPECT_EQ(both.top_zone, "zen.test");

    // bl.test with two addresses: both of its sites match.
    DnsblScore two = score_dnsbl(sites, {{"bl.test", {{127, 0, 0, 4}, {127, 0, 0, 5}}}});
    EXPECT_EQ(two.total, 3);
    EXPECT_EQ(two.top_zone, "bl.test");
    EXPECT_EQ(two.top_weight, 2);

    // A filter that does not match adds nothing.
    EXPECT_EQ(score_dnsbl(sites, {{"bl.test", {{127, 0, 0, 9}}}}).total, 0);

    DnsblScore allowed = score_dnsbl(sites, {{"wl.test", {{127, 0, 0, 2}}}});
    EXPECT_EQ(allowed.total, -2);

    DnsblScore mixed = score_dnsbl(sites, {{"zen.test", {{127, 0, 0, 2}}}, {"wl.test", {{127, 0, 0, 2}}}});
    EXPECT_EQ(mixed.total, 1);
    EXPECT_EQ(mixed.top_zone, "zen.test");
}

TEST(DnsblScore, ErrorCodesAreNotListings) {
    const std::vector<DnsblSite> sites = {site("zen.test*3")};
    EXPECT_EQ(score_dnsbl(sites, {{"zen.test", {{127, 255, 255, 254}}}}).total, 0);
    EXPECT_EQ(score_dnsbl(sites, {{"zen.test", {{10, 0, 0, 2}}}}).total, 0);
    // An error code beside a listing: the listing counts.
    EXPECT_EQ(score_dnsbl(sites, {{"zen.test", {{127, 255, 255, 254}, {127, 0, 0, 2}}}}).total, 3);
}

}  // namespace
}  // namespace ringpost::dns
