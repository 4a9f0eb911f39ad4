// Store behaviour through the public API: accepting messages (spool only),
// local delivery through outcomes, group commit with the real database,
// deletes, users, recover(). Outcomes in detail: outcome_test.cpp; the due
// scan and flush: due_scan_test.cpp.
#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "test_util.hpp"

using namespace ringpost;
using namespace ringpost::store;
using namespace ringpost::store::testing;

namespace {

class StoreTest : public StoreFixture {};

const std::string kAlicePrefix = "Return-Path: <bob@example.org>\r\nDelivered-To: alice@localhost\r\n";

}  // namespace

TEST_F(StoreTest, AcceptSpoolsLocalAndRemoteRecipientsAlike) {
    auto env = make_envelope("bob@example.org", {{"Alice@LocalHost", true}, {"carol@remote.example", false}});
    const std::string qid = env.queue_id;
    ASSERT_TRUE(accept(*store, env, kMessage).ok());

    // Nothing is delivered at accept: the INBOX waits for the delivery engine.
    EXPECT_TRUE(store->mailboxes().list_mailbox("alice@localhost").value().empty());
    EXPECT_EQ(count(keys::kMessages), 0u);
    EXPECT_EQ(store->mailboxes().mailbox_info("alice@localhost", "INBOX").value()->messages, 0u);  // made by users().add

    auto stored = store->spool().get_envelope(qid);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    const mail::Envelope& e = **stored;
    ASSERT_EQ(e.recipients.size(), 2u);
    EXPECT_EQ(e.recipients[0].state, mail::RcptState::kQueued);
    EXPECT_TRUE(e.recipients[0].local);
    EXPECT_EQ(e.recipients[1].state, mail::RcptState::kQueued);
    EXPECT_EQ(e.next_attempt, env.received_at);
    EXPECT_EQ(e.body_size, std::string(kMessage).size());
    EXPECT_TRUE(scheduled(env.received_at, qid));
    EXPECT_EQ(count(keys::kSchedule), 1u);
    EXPECT_EQ(refs(qid), 1u);  // the envelope's
    EXPECT_EQ(text(store->spool().get_body(qid)), kMessage);

    auto stats = store->spool().stats();
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats->messages, 1u);
    EXPECT_EQ(stats->recipients_pending, 2u);
    EXPECT_EQ(stats->bytes, std::string(kMessage).size());
    EXPECT_EQ(stats->oldest, env.received_at);

    // A preset due time is kept.
    auto later = make_envelope("bob@example.org", {{"alice@localhost", true}});
    later.next_attempt = later.received_at + 300;
    ASSERT_TRUE(accept(*store, later, "m").ok());
    EXPECT_TRUE(scheduled(later.received_at + 300, later.queue_id));
}

TEST_F(StoreTest, OutcomeDeliversLocalRecipientsIntoInbox) {
    auto env = make_envelope("bob@example.org", {{"Alice@LocalHost", true}, {"carol@remote.example", false}});
    const std::string qid = env.queue_id;
    ASSERT_TRUE(accept(*store, env, kMessage).ok());
    ASSERT_TRUE(deliver_local(*store, qid).ok());

    // Mailbox: one message, UID 1, the prefix + body byte for byte.
    auto box = store->mailboxes().list_mailbox("alice@localhost");
    ASSERT_TRUE(box.ok()) << box.error().message;
    ASSERT_EQ(box->size(), 1u);
    const MailboxMessage& m = box->front();
    EXPECT_EQ(m.user, "alice@localhost");
    EXPECT_EQ(m.mailbox, "INBOX");
    EXPECT_EQ(m.uid, 1u);
    EXPECT_EQ(m.id, qid + ".1");
    EXPECT_EQ(m.queue_id, qid);
    EXPECT_EQ(m.size, kAlicePrefix.size() + std::string(kMessage).size());
    EXPECT_EQ(m.internal_date, env.received_at);
    EXPECT_EQ(m.flags, 0u);
    EXPECT_EQ(m.subject, "Hello there");
    auto shown = store->mailboxes().get_mailbox_message("alice@localhost", m.id);
    ASSERT_TRUE(shown.ok() && shown->has_value());
    EXPECT_EQ(**shown, kAlicePrefix + kMessage);
    EXPECT_EQ((*shown)->size(), m.size);

    // Spool: the local recipient done, the remote one still pending.
    auto stored = store->spool().get_envelope(qid);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    EXPECT_EQ((*stored)->recipients[0].state, mail::RcptState::kDelivered);
    EXPECT_EQ((*stored)->recipients[1].state, mail::RcptState::kQueued);
    EXPECT_TRUE(scheduled(env.received_at, qid));
    EXPECT_EQ(count(keys::kSchedule), 1u);
    EXPECT_EQ(refs(qid), 2u);  // mailbox copy + spool
    EXPECT_EQ(store->spool().stats().value().recipients_pending, 1u);

    // The next delivery gets the next UID.
    auto env2 = make_envelope("", {{"alice@localhost", true}});
    ASSERT_TRUE(accept_and_deliver(*store, env2, "Subject: second\r\n\r\nx").ok());
    box = store->mailboxes().list_mailbox("alice@localhost");
    ASSERT_EQ(box->size(), 2u);
    EXPECT_EQ((*box)[1].uid, 2u);
    EXPECT_EQ(text(store->mailboxes().get_mailbox_message("alice@localhost", (*box)[1].id)),
              "Return-Path: <>\r\nDelivered-To: alice@localhost\r\nSubject: second\r\n\r\nx");
}

TEST_F(StoreTest, LocalOnlyMessageLeavesTheSpoolOnceDelivered) {
    auto env = make_envelope("bob@example.org", {{"alice@localhost", true}});
    ASSERT_TRUE(accept(*store, env, kMessage).ok());
    EXPECT_EQ(store->spool().list().value().size(), 1u);  // spooled like any other
    ASSERT_TRUE(deliver_local(*store, env.queue_id).ok());
    EXPECT_EQ(store->spool().list().value().size(), 0u);
    EXPECT_EQ(count(keys::kSchedule), 0u);
    EXPECT_EQ(refs(env.queue_id), 1u);  // the mailbox message's
    EXPECT_EQ(text(store->spool().get_body(env.queue_id)), kMessage);
    EXPECT_EQ(store->mailboxes().list_mailbox("alice@localhost").value().size(), 1u);
}

TEST_F(StoreTest, DuplicateLocalRecipientDeliveredOnce) {
    auto env = make_envelope("bob@example.org", {{"alice@localhost", true}, {"ALICE@localhost", true}});
    ASSERT_TRUE(accept_and_deliver(*store, env, kMessage).ok());
    EXPECT_EQ(store->mailboxes().list_mailbox("alice@localhost").value().size(), 1u);
    EXPECT_EQ(refs(env.queue_id), 1u);
    EXPECT_EQ(count(keys::kEnvelopes), 0u);  // both entries delivered: nothing left to spool
}

TEST_F(StoreTest, RejectsBadRequestsWithoutHarmingOthers) {
    auto bad = make_envelope("bob@example.org", {{"x@remote.example", false}});
    bad.queue_id = "not-a-queue-id";
    EXPECT_FALSE(accept(*store, bad, "x").ok());
    auto good = make_envelope("bob@example.org", {{"x@remote.example", false}});
    ASSERT_TRUE(accept(*store, good, "x").ok());
    EXPECT_FALSE(accept(*store, good, "x").ok());  // same queue id again
    EXPECT_EQ(refs(good.queue_id), 1u);
    auto none = make_envelope("bob@example.org", {});
    EXPECT_FALSE(accept(*store, none, "x").ok());
    // Nothing pending: there would be no schedule entry to deliver it by.
    auto done = make_envelope("bob@example.org", {{"x@remote.example", false}});
    done.recipients[0].state = mail::RcptState::kDelivered;
    EXPECT_FALSE(accept(*store, done, "x").ok());
    EXPECT_EQ(count(keys::kBodies), 1u);
}

TEST_F(StoreTest, GroupCommitBatchesConcurrentAcceptsAndOutcomes) {
    constexpr int kThreads = 4, kPerThread = 250, kTotal = kThreads * kPerThread;
    // users().add (the fixture) went through the same stage: count from here.
    const CommitStats before = store->commit_stage().stats();
    std::atomic<int> ok{0}, done{0};
    std::promise<void> all_done;
    auto count_done = [&](const Result<void>& r) {
        if (r) ok.fetch_add(1);
        if (done.fetch_add(1) + 1 == 2 * kTotal) all_done.set_value();
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                // Alternate local-only and mixed messages.
                std::vector<Rcpt> rcpts{{"alice@localhost", true}};
                if (i % 2) rcpts.push_back({"r" + std::to_string(t) + "@remote.example", false});
                auto req = make_request(make_envelope("s@example.org", rcpts), "Subject: m\r\n\r\nb", nullptr);
                AcceptRequest* raw = req.get();
                // Once spooled, deliver locally: the outcome joins a later
                // batch together with other threads' accepts.
                req->on_done = [&, raw](const Result<void>& r) {
                    count_done(r);
                    auto outcome = make_outcome(raw->envelope, {0}, std::make_shared<const std::string>(raw->data));
                    outcome->on_done = count_done;
                    store->commit_stage().submit(std::move(outcome));
                };
                store->commit_stage().submit(std::move(req));
            }
        });
    for (auto& th : threads) th.join();
    all_done.get_future().wait();

    EXPECT_EQ(ok.load(), 2 * kTotal);
    CommitStats s = store->commit_stage().stats();
    EXPECT_EQ(s.requests - before.requests, static_cast<uint64_t>(2 * kTotal));
    EXPECT_LT(s.batches - before.batches, s.requests - before.requests);

    // Every message got its own UID, 1..kTotal, none lost or doubled.
    auto box = store->mailboxes().list_mailbox("alice@localhost").value();
    ASSERT_EQ(box.size(), static_cast<size_t>(kTotal));
    for (int i = 0; i < kTotal; ++i) EXPECT_EQ(box[i].uid, static_cast<uint32_t>(i + 1));
    EXPECT_EQ(store->spool().list().value().size(), static_cast<size_t>(kTotal / 2));
    EXPECT_EQ(count(keys::kSchedule), static_cast<size_t>(kTotal / 2));
}

TEST_F(StoreTest, ListQueueIsOrderedAndLimited) {
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        auto env = make_envelope("s@example.org", {{"x@remote.example", false}});
        ids.push_back(env.queue_id);
        ASSERT_TRUE(accept(*store, env, "m").ok());
    }
    auto all = store->spool().list().value();
    ASSERT_EQ(all.size(), 5u);
    for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(all[i].queue_id, ids[i]);
    EXPECT_EQ(store->spool().list(2).value().size(), 2u);
}

TEST_F(StoreTest, DeleteQueuedKeepsBodiesStillReferenced) {
    auto mixed = make_envelope("bob@example.org", {{"alice@localhost", true}, {"c@remote.example", false}});
    auto remote = make_envelope("bob@example.org", {{"c@remote.example", false}});
    ASSERT_TRUE(accept_and_deliver(*store, mixed, kMessage).ok());
    ASSERT_TRUE(accept(*store, remote, "remote only").ok());

    ASSERT_TRUE(store->spool().remove(mixed.queue_id).ok());
    EXPECT_FALSE(store->spool().get_envelope(mixed.queue_id).value().has_value());
    EXPECT_FALSE(scheduled(mixed.received_at, mixed.queue_id));
    EXPECT_EQ(refs(mixed.queue_id), 1u);  // alice's copy still holds the body
    auto id = store->mailboxes().list_mailbox("alice@localhost").value().at(0).id;
    EXPECT_EQ(text(store->mailboxes().get_mailbox_message("alice@localhost", id)), kAlicePrefix + kMessage);

    ASSERT_TRUE(store->spool().remove(remote.queue_id).ok());
    EXPECT_FALSE(store->spool().get_body(remote.queue_id).value().has_value());
    EXPECT_EQ(refs(remote.queue_id), 0u);
    EXPECT_EQ(store->spool().stats().value().messages, 0u);
    EXPECT_EQ(count(keys::kSchedule), 0u);

    auto again = store->spool().remove(remote.queue_id);
    ASSERT_FALSE(again.ok());
    EXPECT_NE(again.error().message.find("not in the queue"), std::string::npos);
}

TEST_F(StoreTest, DeleteUserRemovesMailboxAndDropsReferences) {
    ASSERT_TRUE(store->users().add({"dave@localhost", "", 0}).ok());
    auto shared = make_envelope("bob@example.org", {{"alice@localhost", true}, {"dave@localhost", true}});
    auto own = make_envelope("bob@example.org", {{"alice@localhost", true}});
    ASSERT_TRUE(accept_and_deliver(*store, shared, kMessage).ok());
    ASSERT_TRUE(accept_and_deliver(*store, own, "own").ok());
    EXPECT_EQ(refs(shared.queue_id), 2u);

    ASSERT_TRUE(store->users().remove("Alice@Localhost").ok());
    EXPECT_FALSE(store->users().exists("alice@localhost"));
    EXPECT_FALSE(store->users().get("alice@localhost").value().has_value());
    EXPECT_TRUE(store->mailboxes().list_mailbox("alice@localhost").value().empty());
    EXPECT_FALSE(test_hooks::raw_get(*store, keys::kMailboxes, keys::mailbox_key("alice@localhost", "INBOX"))
                     .value().has_value());
    EXPECT_FALSE(store->spool().get_body(own.queue_id).value().has_value());  // only alice had it
    EXPECT_EQ(refs(shared.queue_id), 1u);                              // dave still does
    EXPECT_EQ(store->mailboxes().list_mailbox("dave@localhost").value().size(), 1u);
    EXPECT_FALSE(store->users().remove("alice@localhost").ok());

    // Re-created, the user starts a fresh INBOX (the meta cache was dropped too).
    ASSERT_TRUE(store->users().add({"alice@localhost", "", 0}).ok());
    ASSERT_TRUE(accept_and_deliver(*store, make_envelope("b@x", {{"alice@localhost", true}}), "again").ok());
    auto box = store->mailboxes().list_mailbox("alice@localhost").value();
    ASSERT_EQ(box.size(), 1u);
    EXPECT_EQ(box[0].uid, 1u);
}

TEST_F(StoreTest, UsersAreCaseInsensitiveAndUnique) {
    EXPECT_TRUE(store->users().exists("alice@localhost"));
    EXPECT_TRUE(store->users().exists("ALICE@LOCALHOST"));
    EXPECT_FALSE(store->users().exists("bob@localhost"));
    auto dup = store->users().add({"Alice@Localhost", "", 0});
    ASSERT_FALSE(dup.ok());
    EXPECT_NE(dup.error().message.find("already exists"), std::string::npos);
    EXPECT_FALSE(store->users().add({"", "", 0}).ok());

    ASSERT_TRUE(store->users().add({"Bob@Localhost", "$y$b", 1234}).ok());
    EXPECT_TRUE(store->users().exists("bob@localhost"));
    auto users = store->users().list().value();
    ASSERT_EQ(users.size(), 2u);
    EXPECT_EQ(users[0].address, "alice@localhost");
    EXPECT_EQ(users[1].address, "bob@localhost");
    EXPECT_EQ(users[1].password_hash, "$y$b");
    EXPECT_EQ(users[1].created, 1234);
    EXPECT_GT(users[0].created, 0);  // defaulted to now
    EXPECT_EQ(store->users().get("BOB@localhost").value()->password_hash, "$y$b");
}

TEST_F(StoreTest, MailboxMessageIdsMustMatch) {
    auto env = make_envelope("bob@example.org", {{"alice@localhost", true}});
    ASSERT_TRUE(accept_and_deliver(*store, env, kMessage).ok());
    EXPECT_TRUE(store->mailboxes().get_mailbox_message("alice@localhost", env.queue_id + ".1").value().has_value());
    EXPECT_FALSE(store->mailboxes().get_mailbox_message("alice@localhost", env.queue_id + ".2").value().has_value());
    EXPECT_FALSE(store->mailboxes().get_mailbox_message("alice@localhost", "0000000000000000.1").value().has_value());
    EXPECT_FALSE(store->mailboxes().get_mailbox_message("alice@localhost", env.queue_id).value().has_value());
    EXPECT_FALSE(store->mailboxes().get_mailbox_message("alice@localhost", env.queue_id + ".1x").value().has_value());
    EXPECT_FALSE(store->mailboxes().get_mailbox_message("nobody@localhost", env.queue_id + ".1").value().has_value());
}

TEST_F(StoreTest, RecoverRebuildsAndPrunesScheduleIndex) {
    auto lost = make_envelope("bob@example.org", {{"c@remote.example", false}});
    auto fine = make_envelope("bob@example.org", {{"d@remote.example", false}});
    ASSERT_TRUE(accept(*store, lost, "m1").ok());
    ASSERT_TRUE(accept(*store, fine, "m2").ok());
    // Damage: one envelope loses its index entry; an entry for nothing appears.
    ASSERT_TRUE(test_hooks::raw_delete(*store, keys::kSchedule, keys::schedule_key(lost.received_at, lost.queue_id)).ok());
    ASSERT_TRUE(test_hooks::raw_put(*store, keys::kSchedule, keys::schedule_key(5, "00000000000000AA"), "").ok());

    ASSERT_TRUE(store->recovery().recover().ok());
    EXPECT_TRUE(scheduled(lost.received_at, lost.queue_id));
    EXPECT_TRUE(scheduled(fine.received_at, fine.queue_id));
    EXPECT_FALSE(scheduled(5, "00000000000000AA"));
    EXPECT_EQ(count(keys::kSchedule), 2u);
}
