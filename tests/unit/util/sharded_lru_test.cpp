#include "util/sharded_lru.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

using ringpost::util::ShardedLru;

namespace {

struct Rec {
    std::string name;
    int64_t until = 0;   // expired at or after this time
};

using Table = ShardedLru<Rec>;

// `n` names that land in the shard of "a": in a table of one record per
// shard, each of them evicts "a".
std::vector<std::string> names_in_one_shard(size_t n) {
    std::vector<std::string> names;
    for (int i = 0; names.size() < n && i < 100000; ++i) {
        Table probe(Table::kShards);   // one record per shard
        std::vector<std::string> gone;
        const auto remove = [&](const std::string& k) { gone.push_back(k); };
        probe.lock("a").upsert("a", Rec{"a", 100}, remove);
        const std::string name = "n" + std::to_string(i);
        probe.lock(name).upsert(name, Rec{name, 100}, remove);
        if (gone == std::vector<std::string>{"a"}) names.push_back(name);
    }
    return names;
}

}  // namespace

TEST(ShardedLru, DropsTheLeastRecentlyUsedOfAFullShard) {
    Table table(3 * Table::kShards);   // three records per shard
    const std::vector<std::string> names = names_in_one_shard(4);
    ASSERT_EQ(names.size(), 4u);
    std::vector<std::string> gone;
    const auto remove = [&](const std::string& k) { gone.push_back(k); };
    for (int i = 0; i < 3; ++i) table.lock(names[i]).upsert(names[i], Rec{names[i], 100}, remove);
    // Using the first again makes the second the least recently used.
    table.lock(names[0]).upsert(names[0], Rec{names[0], 200}, remove);
    table.lock(names[3]).upsert(names[3], Rec{names[3], 100}, remove);
    EXPECT_EQ(gone, std::vector<std::string>{names[1]});
    EXPECT_EQ(table.size(), 3u);
    const auto never = [](const Rec&) { return false; };
    auto shard = table.lock(names[0]);
    ASSERT_NE(shard.find(names[0], never, remove), nullptr);
    EXPECT_EQ(shard.find(names[0], never, remove)->until, 200);
    EXPECT_EQ(shard.find(names[1], never, remove), nullptr);
}

TEST(ShardedLru, FindRemovesAnExpiredRecordAndNamesIt) {
    Table table(100);
    std::vector<std::string> gone;
    const auto remove = [&](const std::string& k) { gone.push_back(k); };
    table.lock("x").upsert("x", Rec{"x", 10}, remove);
    const auto at = [](int64_t now) { return [now](const Rec& r) { return r.until <= now; }; };
    EXPECT_NE(table.lock("x").find("x", at(9), remove), nullptr);
    EXPECT_EQ(table.lock("x").find("x", at(10), remove), nullptr);
    EXPECT_EQ(gone, std::vector<std::string>{"x"});
    EXPECT_EQ(table.size(), 0u);
    EXPECT_EQ(table.lock("x").find("x", at(0), remove), nullptr);   // gone for good
    EXPECT_EQ(gone.size(), 1u);
}

TEST(ShardedLru, SweepsAShardAtMostOncePerInterval) {
    Table table(100);
    std::vector<std::string> gone;
    const auto remove = [&](const std::string& k) { gone.push_back(k); };
    const std::vector<std::string> names = names_in_one_shard(2);
    ASSERT_EQ(names.size(), 2u);
    table.lock(names[0]).upsert(names[0], Rec{names[0], 10}, remove);
    table.lock(names[1]).upsert(names[1], Rec{names[1], 10 * Table::kSweepIntervalMs}, remove);
    const auto at = [](int64_t now) { return [now](const Rec& r) { return r.until <= now; }; };
    table.lock(names[0]).sweep(5, at(5), remove);   // the first sweep: nothing expired yet
    EXPECT_TRUE(gone.empty());
    table.lock(names[0]).sweep(20, at(20), remove);   // too soon after the last
    EXPECT_TRUE(gone.empty());
    table.lock(names[0]).sweep(5 + Table::kSweepIntervalMs, at(5 + Table::kSweepIntervalMs), remove);
    EXPECT_EQ(gone, std::vector<std::string>{names[0]});   // the live one stays
    EXPECT_EQ(table.size(), 1u);
}

TEST(ShardedLru, LoadKeepsTheMostRecentAndNamesWhatItDid) {
    Table table(2 * Table::kShards);   // two records per shard
    const std::vector<std::string> names = names_in_one_shard(3);
    ASSERT_EQ(names.size(), 3u);
    // Stored in name order; recency says names[1] is the oldest live one.
    std::vector<Rec> records{{names[0], 300}, {names[1], 100}, {names[2], 200}, {"expired", 5}};
    std::vector<std::string> removed = table.load(
        records, [](const Rec& r) -> const std::string& { return r.name; }, [](const Rec& r) { return r.until; },
        [](const Rec& r) { return r.until <= 50; });
    std::sort(removed.begin(), removed.end());
    std::vector<std::string> expected{"expired", names[1]};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(removed, expected);
    EXPECT_EQ(table.size(), 2u);
    const auto never = [](const Rec&) { return false; };
    const auto ignore = [](const std::string&) {};
    EXPECT_NE(table.lock(names[0]).find(names[0], never, ignore), nullptr);
    EXPECT_NE(table.lock(names[2]).find(names[2], never, ignore), nullptr);
}
