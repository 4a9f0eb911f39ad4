// Opening the store: durability across close/reopen, large bodies in blob
// files, read-only (secondary) access beside a running primary, the lock
// error for a second primary.
#include <set>

#include <gtest/gtest.h>

#include "test_util.hpp"

using namespace ringpost;
using namespace ringpost::store;
using namespace ringpost::store::testing;

TEST(StoreOpen, AcceptedMessagesSurviveReopenExactlyOnce) {
    TempDir dir;
    std::set<std::string> local_ids, queued_ids;
    {
        auto store = open_store(dir.db());
        ASSERT_TRUE(store);
        ASSERT_TRUE(store->users().add({"alice@localhost", "", 0}).ok());
        for (int i = 0; i < 40; ++i) {
            std::vector<Rcpt> rcpts{{"alice@localhost", true}};
            if (i % 4 == 0) rcpts.push_back({"r@remote.example", false});
            auto env = make_envelope("s@example.org", rcpts);
            local_ids.insert(env.queue_id);
            if (i % 4 == 0) queued_ids.insert(env.queue_id);
            ASSERT_TRUE(accept_and_deliver(*store, env, "Subject: n" + std::to_string(i) + "\r\n\r\nbody").ok());
        }
    }
    auto store = open_store(dir.db());
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->recovery().recover().ok());
    EXPECT_TRUE(store->users().exists("alice@localhost"));  // user set reloaded at open

    auto box = store->mailboxes().list_mailbox("alice@localhost").value();
    ASSERT_EQ(box.size(), local_ids.size());
    std::set<std::string> seen;
    for (size_t i = 0; i < box.size(); ++i) {
        EXPECT_EQ(box[i].uid, i + 1);
        seen.insert(box[i].queue_id);
    }
    EXPECT_EQ(seen, local_ids);
    std::set<std::string> queued;
    auto queue = store->spool().list().value();
    for (auto& e : queue) queued.insert(e.queue_id);
    EXPECT_EQ(queued, queued_ids);

    // UID allocation continues where it stopped (meta was persisted).
    ASSERT_TRUE(accept_and_deliver(*store, make_envelope("s@x", {{"alice@localhost", true}}), "late").ok());
    EXPECT_EQ(store->mailboxes().list_mailbox("alice@localhost").value().back().uid, local_ids.size() + 1);
}

TEST(StoreOpen, LargeBodiesRoundTripThroughBlobFiles) {
    TempDir dir;
    std::string big = "Subject: big\r\n\r\n";
    for (int i = 0; big.size() < 300000; ++i) big += "line " + std::to_string(i) + " of a large message\r\n";
    auto env = make_envelope("s@example.org", {{"alice@localhost", true}, {"r@remote.example", false}});
    {
        auto store = open_store(dir.db());
        ASSERT_TRUE(store);
        ASSERT_TRUE(store->users().add({"alice@localhost", "", 0}).ok());
        ASSERT_TRUE(accept_and_deliver(*store, env, big).ok());
        // A flush writes the body to a blob file (the store never forces
        // one; at open the WAL is replayed into memory, not flushed).
        ASSERT_TRUE(test_hooks::flush(*store).ok());
    }
    auto store = open_store(dir.db());
    ASSERT_TRUE(store);
    bool has_blob = false;
    for (auto& entry : std::filesystem::directory_iterator(dir.db()))
        has_blob = has_blob || entry.path().extension() == ".blob";
    EXPECT_TRUE(has_blob);
    EXPECT_EQ(text(store->spool().get_body(env.queue_id)), big);
    EXPECT_EQ(text(store->mailboxes().get_mailbox_message("alice@localhost", env.queue_id + ".1")),
              "Return-Path: <s@example.org>\r\nDelivered-To: alice@localhost\r\n" + big);
}

TEST(StoreOpen, ReadOnlyInstanceReadsWhilePrimaryRuns) {
    TempDir dir;
    auto primary = open_store(dir.db());
    ASSERT_TRUE(primary);
    ASSERT_TRUE(primary->users().add({"alice@localhost", "$y$h", 0}).ok());
    auto env = make_envelope("bob@example.org", {{"alice@localhost", true}, {"c@remote.example", false}});
    ASSERT_TRUE(accept_and_deliver(*primary, env, kMessage).ok());

    auto reader = open_store(dir.db(), /*read_only=*/true);
    ASSERT_TRUE(reader);
    EXPECT_TRUE(reader->users().exists("Alice@localhost"));
    EXPECT_FALSE(reader->users().exists("nobody@localhost"));
    EXPECT_EQ(reader->users().list().value().size(), 1u);
    auto queue = reader->spool().list().value();
    ASSERT_EQ(queue.size(), 1u);
    EXPECT_EQ(queue[0].queue_id, env.queue_id);
    EXPECT_EQ(text(reader->mailboxes().get_mailbox_message("alice@localhost", env.queue_id + ".1")),
              "Return-Path: <bob@example.org>\r\nDelivered-To: alice@localhost\r\n" + std::string(kMessage));
    EXPECT_TRUE(reader->recovery().recover().ok());  // reports only

    // Writes are refused, including through the commit stage.
    EXPECT_FALSE(reader->users().add({"eve@localhost", "", 0}).ok());
    EXPECT_FALSE(reader->spool().remove(env.queue_id).ok());
    EXPECT_FALSE(accept(*reader, make_envelope("s@x", {{"r@remote.example", false}}), "m").ok());
    EXPECT_FALSE(write_outcome(*reader, make_outcome(*queue.begin())).ok());
    EXPECT_FALSE(reader->spool().reschedule_all(0).ok());
    // The due scan is a read: it works on a secondary too.
    auto due = reader->spool().load_due(env.received_at, 0, 10, 1u << 20, nullptr);
    ASSERT_TRUE(due.ok()) << due.error().message;
    ASSERT_EQ(due->messages.size(), 1u);
    EXPECT_EQ(due->messages[0].envelope.queue_id, env.queue_id);

    // The primary keeps working while the reader is open.
    ASSERT_TRUE(accept_and_deliver(*primary, make_envelope("s@x", {{"alice@localhost", true}}), "m").ok());
    EXPECT_EQ(primary->mailboxes().list_mailbox("alice@localhost").value().size(), 2u);
}

TEST(StoreOpen, SecondPrimaryGetsClearLockError) {
    TempDir dir;
    auto primary = open_store(dir.db());
    ASSERT_TRUE(primary);
    StoreOptions opts;
    opts.path = dir.db();
    auto second = Store::open(opts);
    ASSERT_FALSE(second.ok());
    EXPECT_NE(second.error().message.find("data directory " + dir.db() +
                                          " is in use by a running ringpost (lock held)"),
              std::string::npos)
        << second.error().message;
}

TEST(StoreOpen, ReadOnlyOpenOfMissingStoreFails) {
    TempDir dir;
    StoreOptions opts;
    opts.path = dir.path() + "/absent";
    opts.read_only = true;
    auto r = Store::open(opts);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("holds no ringpost store"), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(opts.path));  // read-only never creates it
}

TEST(StoreOpen, CanAcceptFollowsMinFreeSpace) {
    TempDir dir;
    StoreOptions opts;
    opts.path = dir.db();
    opts.min_free_space = uint64_t{1} << 62;   // more than any disk: "full" from the first sample
    {
        auto store = Store::open(opts);
        ASSERT_TRUE(store.ok());
        EXPECT_FALSE(store.value()->can_accept(0));
        // Everything but new mail still writes.
        EXPECT_TRUE(store.value()->users().add({"alice@localhost", "", 0}).ok());
    }
    opts.min_free_space = 0;
    auto store = Store::open(opts);
    ASSERT_TRUE(store.ok());
    EXPECT_TRUE(store.value()->can_accept(0));
    EXPECT_TRUE(store.value()->users().exists("alice@localhost"));
}
