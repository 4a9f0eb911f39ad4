// The single-writer path: every store write is a request of the commit
// stage. Concurrent blocking writes join one batch (one fsync), a failed
// request leaves no trace in the batch, the meta cache or the database, and
// UIDs, counters and flags stay exact under concurrency without a write
// mutex. Also: a mailbox with a long append/expunge history lists in time
// proportional to its live messages (range_compactor.hpp).
#include <atomic>
#include <future>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "store/commit_stage_impl.hpp"
#include "test_util.hpp"

using namespace ringpost;
using namespace ringpost::store;
using namespace ringpost::store::testing;

namespace {

class WritePathTest : public MailboxFixture {
protected:
    // Holds the commit thread inside the callback of an accept, so that
    // everything submitted meanwhile forms the next batch. release() lets it go.
    void hold_commit_thread() {
        auto entered = std::make_shared<std::promise<void>>();
        auto entered_future = entered->get_future();
        std::shared_future<void> gate = gate_.get_future().share();
        store->commit_stage().submit(make_request(make_envelope("bob@example.org", {{"x@remote.test"}}), "held",
                                                  [entered, gate](const Result<void>&) {
            entered->set_value();
            gate.wait();
        }));
        entered_future.wait();
    }
    void release() { gate_.set_value(); }
    // Waits until `n` requests wait in the stage's queue.
    void wait_queued(size_t n) {
        for (int i = 0; i < 5000 && test_hooks::queued(*store) < n; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        ASSERT_EQ(test_hooks::queued(*store), n);
    }

    std::promise<void> gate_;
};

std::string message(int n) { return "Subject: m" + std::to_string(n) + "\r\n\r\nbody " + std::to_string(n) + "\r\n"; }

}  // namespace

TEST_F(WritePathTest, ConcurrentWritesJoinOneBatch) {
    const auto before = store->commit_stage().stats();
    hold_commit_thread();
    constexpr int kWriters = 12;
    std::vector<std::future<Result<AppendResult>>> appends;
    for (int i = 0; i < kWriters; ++i)
        appends.push_back(std::async(std::launch::async, [this, i] {
            return store->mailboxes().append_message(kUser, "INBOX", message(i), 0, 0);
        }));
    auto created = std::async(std::launch::async, [this] { return store->mailboxes().create_mailbox(kUser, "Work"); });
    wait_queued(kWriters + 1);
    release();

    std::set<uint32_t> uids;
    for (auto& f : appends) {
        auto r = f.get();
        ASSERT_TRUE(r.ok()) << r.error().message;
        uids.insert(r->uid);
    }
    ASSERT_TRUE(created.get().ok());
    EXPECT_EQ(uids, (std::set<uint32_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
    const auto after = store->commit_stage().stats();
    // The held accept's batch, then ONE batch (one fsync) for all 13 writes.
    EXPECT_EQ(after.batches - before.batches, 2u);
    EXPECT_EQ(after.requests - before.requests, static_cast<uint64_t>(kWriters + 2));
    EXPECT_GE(after.max_batch, static_cast<uint64_t>(kWriters + 1));
    EXPECT_EQ(info("INBOX").messages, 12u);
    EXPECT_EQ(info("INBOX").uidnext, 13u);
}

TEST_F(WritePathTest, FailedRequestLeavesNoTrace) {
    ASSERT_TRUE(store->mailboxes().append_message(kUser, "INBOX", message(1), 0, 0).ok());
    const MailboxInfo start = info("INBOX");
    hold_commit_thread();
    // In one batch: an append, a request that adds a record and a meta and
    // then fails, another append and a delivery. The later ones must see
    // the INBOX as the first append left it, not as the failed one did.
    std::promise<Result<void>> failed;
    auto failed_future = failed.get_future();
    auto first = std::async(std::launch::async, [this] { return store->mailboxes().append_message(kUser, "INBOX", message(2), 0, 0); });
    wait_queued(1);
    auto request = test_hooks::failing_request(kUser, "INBOX");
    request->on_done = [&failed](const Result<void>& r) { failed.set_value(r); };
    dynamic_cast<GroupCommitStage&>(store->commit_stage()).submit(std::move(request));
    auto second = std::async(std::launch::async, [this] { return store->mailboxes().append_message(kUser, "INBOX", message(3), 0, 0); });
    wait_queued(3);
    release();

    EXPECT_FALSE(failed_future.get().ok());
    auto a = first.get(), b = second.get();
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->uid, start.uidnext);
    EXPECT_EQ(b->uid, start.uidnext + 1);
    // Nothing of the failed request in the database ...
    auto raw = test_hooks::raw_get(*store, keys::kMessages, keys::message_key(kUser, "INBOX", 999));
    ASSERT_TRUE(raw.ok());
    EXPECT_FALSE(raw->has_value());
    EXPECT_EQ(info("INBOX").uidnext, start.uidnext + 2);
    EXPECT_EQ(uids("INBOX"), (std::vector<uint32_t>{1, 2, 3}));
    // ... nor in the commit thread's meta cache, which the next write reads.
    auto c = store->mailboxes().append_message(kUser, "INBOX", message(4), 0, 0);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->uid, start.uidnext + 2);
}

TEST_F(WritePathTest, UidsStayUniqueUnderConcurrentAppendsAndDeliveries) {
    constexpr int kThreads = 6, kEach = 15;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    std::mutex mu;
    std::vector<uint32_t> appended;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                auto r = store->mailboxes().append_message(kUser, "INBOX", message(t * 100 + i), 0, 0);
                if (!r.ok()) {
                    ++failures;
                    continue;
                }
                std::lock_guard lock(mu);
                appended.push_back(r->uid);
            }
        });
    // Local deliveries into the same INBOX, through outcomes, meanwhile.
    threads.emplace_back([&] {
        for (int i = 0; i < kEach; ++i)
            if (!accept_and_deliver(*store, make_envelope("bob@example.org", {{kUser, true}}), message(i)).ok())
                ++failures;
    });
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);

    constexpr uint32_t kTotal = (kThreads + 1) * kEach;
    std::set<uint32_t> unique(appended.begin(), appended.end());
    EXPECT_EQ(unique.size(), appended.size());
    auto listed = uids("INBOX");
    ASSERT_EQ(listed.size(), kTotal);
    for (uint32_t i = 0; i < kTotal; ++i) EXPECT_EQ(listed[i], i + 1);
    const MailboxInfo inbox = info("INBOX");
    EXPECT_EQ(inbox.messages, kTotal);
    EXPECT_EQ(inbox.unseen, kTotal);
    EXPECT_EQ(inbox.uidnext, kTotal + 1);
}

TEST_F(WritePathTest, ConcurrentFlagChangesKeepEveryBit) {
    ASSERT_TRUE(store->mailboxes().append_message(kUser, "INBOX", message(1), 0, 0).ok());
    // Each thread adds its own bit to the same message; a lost update
    // (read-modify-write from a stale record) would drop some.
    const uint32_t bits[] = {kFlagSeen, kFlagAnswered, kFlagFlagged, kFlagDraft};
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (uint32_t bit : bits)
        threads.emplace_back([&, bit] {
            for (int i = 0; i < 20; ++i) {
                if (!store->mailboxes().change_flags(kUser, "INBOX", {1}, bit, 0).ok()) ++failures;
                if (i + 1 < 20 && !store->mailboxes().change_flags(kUser, "INBOX", {1}, 0, bit).ok()) ++failures;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(record("INBOX", 1).flags, kFlagSeen | kFlagAnswered | kFlagFlagged | kFlagDraft);
    EXPECT_EQ(info("INBOX").unseen, 0u);
}

TEST_F(WritePathTest, ExpungeAndCopyOfOneMessageInOneBatch) {
    auto appended = store->mailboxes().append_message(kUser, "INBOX", message(1), kFlagDeleted, 0);
    ASSERT_TRUE(appended.ok());
    hold_commit_thread();
    auto expunged = std::async(std::launch::async, [this] { return store->mailboxes().expunge_deleted(kUser, "INBOX"); });
    wait_queued(1);
    // Queued after the expunge, in the same batch: the message is gone by then.
    auto copied = std::async(std::launch::async, [this] { return store->mailboxes().copy_messages(kUser, "INBOX", {1}, "Trash"); });
    wait_queued(2);
    release();
    auto e = expunged.get();
    auto c = copied.get();
    ASSERT_TRUE(e.ok() && c.ok());
    EXPECT_EQ(*e, std::vector<uint32_t>{1});
    EXPECT_TRUE(c->uids.empty());
    EXPECT_EQ(info("Trash").messages, 0u);
    // The body went with its last reference.
    EXPECT_EQ(count(keys::kBodies), 1u);  // only the held accept's
}

TEST_F(WritePathTest, WriteOnCommitThreadIsAnErrorNotADeadlock) {
    std::promise<Result<AppendResult>> inner;
    auto inner_future = inner.get_future();
    store->commit_stage().submit(make_request(make_envelope("bob@example.org", {{"x@remote.test"}}), "x",
                                              [this, &inner](const Result<void>&) {
        inner.set_value(store->mailboxes().append_message(kUser, "INBOX", message(1), 0, 0));
    }));
    auto r = inner_future.get();
    EXPECT_FALSE(r.ok());
}

TEST_F(WritePathTest, ListingCostFollowsLiveMessagesNotHistory) {
    // A few live messages, then a long history: 2,048 messages (one APPEND
    // copied onto itself, doubling) expunged 100 at a time.
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->mailboxes().append_message(kUser, "INBOX", message(i), 0, 0).ok());
    auto first = store->mailboxes().append_message(kUser, "INBOX", message(3), 0, 0);
    ASSERT_TRUE(first.ok());
    std::vector<uint32_t> history{first->uid};
    while (history.size() < 2048) {
        auto copied = store->mailboxes().copy_messages(kUser, "INBOX", history, "INBOX");
        ASSERT_TRUE(copied.ok()) << copied.error().message;
        for (const auto& [from, to] : copied->uids) history.push_back(to);
    }
    for (size_t i = 0; i < history.size(); i += 100) {
        std::vector<uint32_t> chunk(history.begin() + static_cast<std::ptrdiff_t>(i),
                                    history.begin() + static_cast<std::ptrdiff_t>(std::min(i + 100, history.size())));
        ASSERT_TRUE(store->mailboxes().expunge(kUser, "INBOX", chunk).ok());
    }
    EXPECT_GE(test_hooks::wait_for_compactions(*store), 1u);
    auto skips = test_hooks::listing_skips(*store, kUser, "INBOX");
    ASSERT_TRUE(skips.ok()) << skips.error().message;
    // Without compaction the listing steps over all 2,048 deletion markers
    // (and the records they hide); with it, over the markers since the last
    // compaction (fewer than 500) and their records.
    EXPECT_LT(*skips, 1000u);
    EXPECT_EQ(uids("INBOX"), (std::vector<uint32_t>{1, 2, 3}));
    EXPECT_EQ(info("INBOX").messages, 3u);
}
