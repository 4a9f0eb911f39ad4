// Egress pools: the smooth weighted round-robin gives each source exactly
// its share over a run, interleaved, and a message's pool name finds its
// pool (else the default pool, else no source).
#include "delivery/egress.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace ringpost::delivery {
namespace {

EgressConfig four_sources() {
    EgressConfig c;
    for (int i = 2; i <= 5; ++i)
        c.sources.push_back({"s" + std::to_string(i), "127.0.0." + std::to_string(i), "mta" + std::to_string(i) + ".test"});
    c.pools.push_back({"bulk", {0, 1, 2}, {3, 2, 1}});
    c.pools.push_back({"vip", {3}, {1}});
    return c;
}

TEST(WeightedChoice, ProportionsAreExactOverEveryFullRound) {
    WeightedChoice choice({5, 3, 1, 1});
    std::vector<int> counts(4, 0);
    for (int round = 1; round <= 100; ++round) {
        for (int i = 0; i < 10; ++i) ++counts[choice.next()];
        // After each round of total-weight picks, each has exactly its share.
        EXPECT_EQ(counts, (std::vector<int>{5 * round, 3 * round, round, round})) << "round " << round;
    }
}

TEST(WeightedChoice, InterleavesInsteadOfRuns) {
    // nginx's example: weights 5, 1, 1 give a a b a c a a, not a a a a a b c.
    WeightedChoice choice({5, 1, 1});
    std::string seq;
    for (int i = 0; i < 7; ++i) seq += static_cast<char>('a' + choice.next());
    EXPECT_EQ(seq, "aabacaa");
}

TEST(WeightedChoice, NeverMoreThanOnePickOffItsShare) {
    const std::vector<uint32_t> weights{7, 4, 2};
    WeightedChoice choice(weights);
    std::vector<int> counts(3, 0);
    for (int n = 1; n <= 1300; ++n) {
        ++counts[choice.next()];
        for (size_t i = 0; i < weights.size(); ++i) {
            const double share = n * static_cast<double>(weights[i]) / 13.0;
            EXPECT_LT(std::abs(counts[i] - share), 1.0 + 1e-9) << "pick " << n << " source " << i;
        }
    }
}

TEST(SourceChooser, PicksFromTheMessagesPool) {
    const EgressConfig config = four_sources();
    SourceChooser chooser(config);
    std::map<std::string, int> seen;
    for (int i = 0; i < 600; ++i) {
        auto c = chooser.choose("bulk");
        ASSERT_NE(c.source, nullptr);
        EXPECT_FALSE(c.unknown_pool);
        ++seen[c.source->name];
    }
    EXPECT_EQ(seen, (std::map<std::string, int>{{"s2", 300}, {"s3", 200}, {"s4", 100}}));
    EXPECT_EQ(chooser.choose("vip").source->address, "127.0.0.5");
}

TEST(SourceChooser, NoPoolMeansTheDefaultPoolOrNone) {
    EgressConfig config = four_sources();
    {
        SourceChooser chooser(config);
        auto c = chooser.choose("");
        EXPECT_EQ(c.source, nullptr);   // no default pool: unbound, as before pools existed
        EXPECT_FALSE(c.unknown_pool);
        auto gone = chooser.choose("removed");
        EXPECT_EQ(gone.source, nullptr);
        EXPECT_TRUE(gone.unknown_pool);
    }
    config.default_pool = "vip";
    SourceChooser chooser(config);
    EXPECT_EQ(chooser.choose("").source->name, "s5");
    auto gone = chooser.choose("removed");   // a pool the config lost since the message was queued
    EXPECT_TRUE(gone.unknown_pool);
    ASSERT_NE(gone.source, nullptr);
    EXPECT_EQ(gone.source->name, "s5");
    EXPECT_EQ(chooser.choose("bulk").source->name, "s2");
}

}  // namespace
}  // namespace ringpost::delivery
