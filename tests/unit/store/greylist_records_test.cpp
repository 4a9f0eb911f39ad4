// Greylisting's records: saved through the commit stage without a wait,
// and loaded back, also after the store is opened again.
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace ringpost::store::testing {
namespace {

using GreylistRecordsTest = StoreFixture;
using ScreenRecordsTest = StoreFixture;

// A blocking write after the saves: the commit thread takes requests in
// order, so once it is done the saves before it are written too.
void wait_for_saves(Store& store) {
    static int n = 0;
    ASSERT_TRUE(store.users().add({"sync" + std::to_string(++n) + "@localhost", "", 0}).ok());
}

TEST_F(GreylistRecordsTest, SavedRecordsLoadBackAndRemovalsGo) {
    const GreylistRecord triplet{"t\x1f" "192.0.2.0/24\x1f" "a@b.example\x1f" "alice@localhost", 1000, 2000, 3, true};
    const GreylistRecord client{"c\x1f" "192.0.2.0/24", 5000, 6000, 1, true};
    const GreylistRecord other{"t\x1fother", 7000, 7000, 0, false};
    store->greylist().save({triplet, client, other}, {});
    wait_for_saves(*store);
    EXPECT_EQ(store->greylist().load().value(), (std::vector<GreylistRecord>{client, triplet, other}));

    GreylistRecord confirmed = other;
    confirmed.confirmed = true;
    confirmed.count = 1;
    store->greylist().save({confirmed}, {client.key, "never-stored"});
    wait_for_saves(*store);
    EXPECT_EQ(store->greylist().load().value(), (std::vector<GreylistRecord>{triplet, confirmed}));

    // Unsynced, yet in the database: the store opened again has them.
    store.reset();
    store = open_store(dir.db());
    ASSERT_TRUE(store);
    EXPECT_EQ(store->greylist().load().value(), (std::vector<GreylistRecord>{triplet, confirmed}));
}

TEST_F(GreylistRecordsTest, ASaveOfNothingAndANameWithNulAreNotWritten) {
    const auto before = store->commit_stage().stats().requests;
    store->greylist().save({}, {});
    store->greylist().save({GreylistRecord{std::string("t\0x", 3), 1, 1, 0, false}}, {});
    wait_for_saves(*store);
    EXPECT_TRUE(store->greylist().load().value().empty());
    // The empty save never reached the stage: the NUL one and the user's did.
    EXPECT_EQ(store->commit_stage().stats().requests - before, 2u);
}

// The screening cache's records go the same way, under their own prefix.
TEST_F(ScreenRecordsTest, SavedRecordsLoadBackApartFromGreylistRecords) {
    const ScreenRecord v4{"192.0.2.7", 5000, 86'400'000, false};
    const ScreenRecord v6{"2001:db8::7", 7000, 0, true};
    store->screen().save({v4, v6}, {});
    store->greylist().save({GreylistRecord{"c\x1f" "192.0.2.0/24", 1, 1, 1, true}}, {});
    wait_for_saves(*store);
    EXPECT_EQ(store->screen().load().value(), (std::vector<ScreenRecord>{v4, v6}));
    store->screen().save({}, {v4.ip});
    wait_for_saves(*store);
    store.reset();
    store = open_store(dir.db());
    ASSERT_TRUE(store);
    EXPECT_EQ(store->screen().load().value(), (std::vector<ScreenRecord>{v6}));
    EXPECT_EQ(store->greylist().load().value().size(), 1u);
}

}  // namespace
}  // namespace ringpost::store::testing
