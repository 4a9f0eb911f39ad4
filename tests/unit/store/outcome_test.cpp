// Outcomes of delivery attempts against the real database: what is kept,
// moved or removed (envelope, schedule entry, body and its references),
// local delivery into the INBOX (or Junk), notifications in the same batch, and the
// all-or-nothing rule (message gone, invalid parts, two outcomes in a batch).
#include <gtest/gtest.h>

#include <future>

#include "test_util.hpp"

using namespace ringpost;
using namespace ringpost::store;
using namespace ringpost::store::testing;

namespace {

class OutcomeTest : public StoreFixture {
protected:
    void SetUp() override {
        StoreFixture::SetUp();
        ASSERT_TRUE(store->users().add({"dave@localhost", "", 0}).ok());
    }
    // A spooled message as the engine loads it.
    mail::Envelope spool(std::vector<Rcpt> rcpts, const std::string& data = kMessage) {
        auto env = make_envelope("bob@example.org", std::move(rcpts));
        EXPECT_TRUE(accept(*store, env, data).ok());
        return stored_envelope(env.queue_id);
    }
    // Everything a write could have touched, for "nothing written" checks.
    std::vector<size_t> counts() {
        std::vector<size_t> out;
        for (const char* cf : {keys::kBodies, keys::kBodyRefs, keys::kEnvelopes, keys::kSchedule, keys::kMailboxes,
                               keys::kMessages})
            out.push_back(count(cf));
        return out;
    }
};

std::shared_ptr<const std::string> body_of(const std::string& data) { return std::make_shared<const std::string>(data); }

std::unique_ptr<AcceptRequest> notification(std::vector<Rcpt> rcpts, bool* called = nullptr) {
    return make_request(make_envelope("", std::move(rcpts)), "Subject: Delivery Status Notification\r\n\r\nDSN",
                        [called](const Result<void>&) { if (called) *called = true; });
}

}  // namespace

TEST_F(OutcomeTest, AllDoneRemovesEnvelopeScheduleAndBody) {
    auto env = spool({{"c@remote.example", false}, {"d@remote.example", false}});
    const std::string qid = env.queue_id;
    env.recipients[0].state = mail::RcptState::kDelivered;
    env.recipients[1].state = mail::RcptState::kFailed;
    ASSERT_TRUE(write_outcome(*store, make_outcome(env)).ok());

    EXPECT_FALSE(store->spool().get_envelope(qid).value().has_value());
    EXPECT_EQ(count(keys::kSchedule), 0u);
    EXPECT_FALSE(store->spool().get_body(qid).value().has_value());
    EXPECT_EQ(count(keys::kBodyRefs), 0u);
    EXPECT_EQ(count(keys::kBodies), 0u);
}

TEST_F(OutcomeTest, PartialOutcomeRewritesEnvelopeAndMovesSchedule) {
    auto env = spool({{"c@remote.example", false}, {"d@remote.example", false}});
    const std::string qid = env.queue_id;
    const int64_t first_due = env.next_attempt;
    env.recipients[0].state = mail::RcptState::kDelivered;
    env.recipients[0].attempts = 1;
    env.recipients[1].state = mail::RcptState::kDeferred;
    env.recipients[1].attempts = 1;
    env.recipients[1].last_reply = "451 4.7.1 try later";
    env.next_attempt = first_due + 600;
    env.last_attempt = first_due + 5;
    env.delay_warned = true;
    ASSERT_TRUE(write_outcome(*store, make_outcome(env)).ok());

    mail::Envelope e = stored_envelope(qid);
    EXPECT_EQ(e.recipients[0].state, mail::RcptState::kDelivered);
    EXPECT_EQ(e.recipients[1].state, mail::RcptState::kDeferred);
    EXPECT_EQ(e.recipients[1].attempts, 1u);
    EXPECT_EQ(e.recipients[1].last_reply, "451 4.7.1 try later");
    EXPECT_EQ(e.next_attempt, first_due + 600);
    EXPECT_EQ(e.last_attempt, first_due + 5);
    EXPECT_TRUE(e.delay_warned);
    EXPECT_FALSE(scheduled(first_due, qid));
    EXPECT_TRUE(scheduled(first_due + 600, qid));
    EXPECT_EQ(count(keys::kSchedule), 1u);
    EXPECT_EQ(refs(qid), 1u);
    EXPECT_EQ(text(store->spool().get_body(qid)), kMessage);

    // Deferred again to the same time: the key is deleted and put in one
    // batch, and the put wins.
    e.recipients[1].attempts = 2;
    ASSERT_TRUE(write_outcome(*store, make_outcome(e)).ok());
    EXPECT_TRUE(scheduled(first_due + 600, qid));
    EXPECT_EQ(count(keys::kSchedule), 1u);
    EXPECT_EQ(stored_envelope(qid).recipients[1].attempts, 2u);
}

TEST_F(OutcomeTest, LocalDeliveryKeepsBodyWhileMailboxesReferToIt) {
    auto env = spool({{"alice@localhost", true}, {"dave@localhost", true}, {"ALICE@localhost", true},
                      {"r@remote.example", false}});
    const std::string qid = env.queue_id;
    env.recipients[3].state = mail::RcptState::kDelivered;  // the remote one, in the same attempt
    ASSERT_TRUE(write_outcome(*store, make_outcome(env, {0, 1, 2}, body_of(kMessage))).ok());

    // One copy per distinct user, each with its own prefix.
    auto alice = store->mailboxes().list_mailbox("alice@localhost").value();
    auto dave = store->mailboxes().list_mailbox("dave@localhost").value();
    ASSERT_EQ(alice.size(), 1u);
    ASSERT_EQ(dave.size(), 1u);
    EXPECT_EQ(alice[0].uid, 1u);
    EXPECT_EQ(alice[0].internal_date, env.received_at);
    EXPECT_EQ(alice[0].subject, "Hello there");
    EXPECT_EQ(text(store->mailboxes().get_mailbox_message("dave@localhost", dave[0].id)),
              "Return-Path: <bob@example.org>\r\nDelivered-To: dave@localhost\r\n" + std::string(kMessage));
    // Nothing pending: the envelope and its entry are gone, the body stays
    // for the two mailbox messages.
    EXPECT_FALSE(store->spool().get_envelope(qid).value().has_value());
    EXPECT_EQ(count(keys::kSchedule), 0u);
    EXPECT_EQ(refs(qid), 2u);
    EXPECT_EQ(text(store->spool().get_body(qid)), kMessage);

    // UIDs count on; the meta is persisted with them.
    auto second = spool({{"alice@localhost", true}, {"r@remote.example", false}}, "Subject: 2\r\n\r\nxy");
    ASSERT_TRUE(write_outcome(*store, make_outcome(second, {0}, body_of("Subject: 2\r\n\r\nxy"))).ok());
    alice = store->mailboxes().list_mailbox("alice@localhost").value();
    ASSERT_EQ(alice.size(), 2u);
    EXPECT_EQ(alice[1].uid, 2u);
    auto meta = decode_mailbox_meta(
        test_hooks::raw_get(*store, keys::kMailboxes, keys::mailbox_key("alice@localhost", "INBOX")).value().value());
    ASSERT_TRUE(meta.ok());
    EXPECT_EQ(meta->uidnext, 3u);
    EXPECT_EQ(meta->messages, 2u);
    EXPECT_EQ(meta->bytes, alice[0].size + alice[1].size);
    // The remote recipient still pending: envelope + mailbox both refer to the body.
    EXPECT_EQ(refs(second.queue_id), 2u);
    EXPECT_EQ(stored_envelope(second.queue_id).recipients[0].state, mail::RcptState::kDelivered);

    // Its later success drops only the envelope's reference.
    mail::Envelope later = stored_envelope(second.queue_id);
    later.recipients[1].state = mail::RcptState::kDelivered;
    ASSERT_TRUE(write_outcome(*store, make_outcome(later)).ok());
    EXPECT_EQ(refs(second.queue_id), 1u);
    EXPECT_EQ(text(store->mailboxes().get_mailbox_message("alice@localhost", alice[1].id)),
              "Return-Path: <bob@example.org>\r\nDelivered-To: alice@localhost\r\nSubject: 2\r\n\r\nxy");

    // The body goes with the last mailbox message.
    ASSERT_TRUE(store->users().remove("dave@localhost").ok());
    EXPECT_EQ(refs(qid), 1u);
    ASSERT_TRUE(store->users().remove("alice@localhost").ok());
    EXPECT_EQ(count(keys::kBodies), 0u);
    EXPECT_EQ(count(keys::kBodyRefs), 0u);
}

// The mailbox each local delivery of an outcome went into, as the engine
// reads it in on_done.
std::vector<std::string> filed_into(Store& store, std::unique_ptr<OutcomeRequest> request) {
    std::promise<std::vector<std::string>> promise;
    auto future = promise.get_future();
    OutcomeRequest* raw = request.get();
    request->on_done = [&promise, raw](const Result<void>& r) {
        EXPECT_TRUE(r.ok()) << r.error().message;
        promise.set_value(raw->mailboxes);
    };
    store.commit_stage().submit(std::move(request));
    return future.get();
}

// A message marked for Junk (a DMARC quarantine): the spooled envelope
// keeps the mark until local delivery, which files each user's copy into
// the mailbox with the \Junk attribute -- made if the user has none, found
// under its new name if the user renamed it -- and never into INBOX.
TEST_F(OutcomeTest, JunkMarkedMailGoesIntoEachUsersJunkMailbox) {
    auto marked = make_envelope("bob@example.org", {{"dave@localhost", true}, {"alice@localhost", true},
                                                    {"r@remote.example", false}});
    marked.local_folder = mail::LocalFolder::kJunk;
    ASSERT_TRUE(accept(*store, marked, kMessage).ok());
    mail::Envelope env = stored_envelope(marked.queue_id);
    ASSERT_EQ(env.local_folder, mail::LocalFolder::kJunk);
    EXPECT_EQ(filed_into(*store, make_outcome(env, {0, 1}, body_of(kMessage))),
              (std::vector<std::string>{"Junk", "Junk"}));

    // dave (a user: his default Junk exists) and alice (none: made now).
    for (const char* user : {"dave@localhost", "alice@localhost"}) {
        auto junk = store->mailboxes().list_mailbox(user, "Junk");
        ASSERT_TRUE(junk.ok()) << user;
        ASSERT_EQ(junk->size(), 1u) << user;
        EXPECT_EQ(junk->front().subject, "Hello there");
        EXPECT_TRUE(store->mailboxes().list_mailbox(user, "INBOX").value().empty()) << user;
        auto info = store->mailboxes().mailbox_info(user, "Junk").value();
        ASSERT_TRUE(info.has_value());
        EXPECT_EQ(info->special_use, "\\Junk");
        EXPECT_TRUE(info->subscribed);
        EXPECT_EQ(info->messages, 1u);
        EXPECT_EQ(info->unseen, 1u);
    }
    // The remote recipient is untouched, and the mark stays for it.
    EXPECT_EQ(stored_envelope(marked.queue_id).recipients[2].state, mail::RcptState::kQueued);
    EXPECT_EQ(stored_envelope(marked.queue_id).local_folder, mail::LocalFolder::kJunk);

    // A renamed junk mailbox keeps getting it; no second Junk appears.
    ASSERT_TRUE(store->mailboxes().rename_mailbox("dave@localhost", "Junk", "Spam").ok());
    auto again = spool({{"dave@localhost", true}});
    mail::Envelope second = again;
    second.local_folder = mail::LocalFolder::kJunk;
    EXPECT_EQ(filed_into(*store, make_outcome(second, {0}, body_of(kMessage))), std::vector<std::string>{"Spam"});
    EXPECT_EQ(store->mailboxes().list_mailbox("dave@localhost", "Spam").value().size(), 2u);
    EXPECT_FALSE(store->mailboxes().mailbox_info("dave@localhost", "Junk").value().has_value());

    // Unmarked mail still goes to INBOX.
    auto plain = spool({{"alice@localhost", true}});
    EXPECT_EQ(filed_into(*store, make_outcome(plain, {0}, body_of(kMessage))), std::vector<std::string>{"INBOX"});
    EXPECT_EQ(store->mailboxes().list_mailbox("alice@localhost", "INBOX").value().size(), 1u);
    EXPECT_EQ(store->mailboxes().list_mailbox("alice@localhost", "Junk").value().size(), 1u);
}

TEST_F(OutcomeTest, OutcomeForDeletedMessageIsGoneAndWritesNothing) {
    auto env = spool({{"alice@localhost", true}, {"r@remote.example", false}});
    ASSERT_TRUE(store->spool().remove(env.queue_id).ok());
    auto before = counts();

    env.recipients[1].state = mail::RcptState::kFailed;
    auto req = make_outcome(env, {0}, body_of(kMessage));
    bool notified = false;
    req->notifications.push_back(notification({{"bob@example.org", false}}, &notified));
    auto r = write_outcome(*store, std::move(req));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, kOutcomeGone);
    EXPECT_EQ(r.error().message, "message " + env.queue_id + " is no longer queued");
    EXPECT_EQ(counts(), before);  // no mailbox message, no DSN
    EXPECT_FALSE(notified);
}

TEST_F(OutcomeTest, NotificationsAreSpooledInTheSameBatch) {
    auto env = spool({{"r@remote.example", false}});
    env.recipients[0].state = mail::RcptState::kFailed;
    auto req = make_outcome(env);
    bool notified = false;
    auto dsn = notification({{"bob@example.org", false}}, &notified);
    auto local_dsn = notification({{"alice@localhost", true}});
    const mail::Envelope dsn_env = dsn->envelope, local_env = local_dsn->envelope;
    req->notifications.push_back(std::move(dsn));
    req->notifications.push_back(std::move(local_dsn));
    ASSERT_TRUE(write_outcome(*store, std::move(req)).ok());

    EXPECT_FALSE(store->spool().get_envelope(env.queue_id).value().has_value());
    EXPECT_FALSE(store->spool().get_body(env.queue_id).value().has_value());
    for (const auto& n : {dsn_env, local_env}) {
        mail::Envelope e = stored_envelope(n.queue_id);
        EXPECT_EQ(e.sender, "");
        EXPECT_EQ(e.next_attempt, n.received_at);
        EXPECT_TRUE(scheduled(n.received_at, n.queue_id));
        EXPECT_EQ(refs(n.queue_id), 1u);
        EXPECT_EQ(text(store->spool().get_body(n.queue_id)), "Subject: Delivery Status Notification\r\n\r\nDSN");
    }
    // Spooled like any accept: even the local one waits for its own attempt.
    EXPECT_TRUE(store->mailboxes().list_mailbox("alice@localhost").value().empty());
    EXPECT_FALSE(notified);  // the outcome's on_done reports for them
}

TEST_F(OutcomeTest, InvalidNotificationFailsTheWholeOutcome) {
    auto env = spool({{"alice@localhost", true}, {"r@remote.example", false}});
    const mail::Envelope loaded = env;
    auto before = counts();
    env.recipients[1].state = mail::RcptState::kDeferred;
    env.next_attempt += 600;

    auto bad_id = make_outcome(env, {0}, body_of(kMessage));
    bad_id->notifications.push_back(notification({{"bob@example.org", false}}));
    bad_id->notifications.push_back(notification({{"bob@example.org", false}}));
    bad_id->notifications.back()->envelope.queue_id = "bogus";
    auto r = write_outcome(*store, std::move(bad_id));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().code, kOutcomeGone);

    auto twice = make_outcome(env, {0}, body_of(kMessage));
    twice->notifications.push_back(notification({{"bob@example.org", false}}));
    twice->notifications.push_back(notification({{"bob@example.org", false}}));
    twice->notifications.back()->envelope.queue_id = twice->notifications.front()->envelope.queue_id;
    EXPECT_FALSE(write_outcome(*store, std::move(twice)).ok());

    auto no_rcpts = make_outcome(env, {0}, body_of(kMessage));
    no_rcpts->notifications.push_back(notification({}));
    EXPECT_FALSE(write_outcome(*store, std::move(no_rcpts)).ok());

    // The message itself as a notification: its queue ID is taken.
    auto reuse = make_outcome(env, {0}, body_of(kMessage));
    reuse->notifications.push_back(notification({{"bob@example.org", false}}));
    reuse->notifications.back()->envelope.queue_id = env.queue_id;
    EXPECT_FALSE(write_outcome(*store, std::move(reuse)).ok());

    EXPECT_EQ(counts(), before);
    mail::Envelope e = stored_envelope(env.queue_id);
    EXPECT_EQ(e.recipients[0].state, mail::RcptState::kQueued);
    EXPECT_EQ(e.next_attempt, loaded.next_attempt);
    EXPECT_TRUE(scheduled(loaded.next_attempt, env.queue_id));
}

TEST_F(OutcomeTest, RejectsBadLocalDeliveries) {
    auto env = spool({{"alice@localhost", true}, {"r@remote.example", false}});
    auto before = counts();
    EXPECT_FALSE(write_outcome(*store, make_outcome(env, {2}, body_of(kMessage))).ok());  // no such recipient
    EXPECT_FALSE(write_outcome(*store, make_outcome(env, {1}, body_of(kMessage))).ok());  // not local
    EXPECT_FALSE(write_outcome(*store, make_outcome(env, {0}, nullptr)).ok());            // no body
    auto bad_qid = env;
    bad_qid.queue_id = "nope";
    auto r = write_outcome(*store, make_outcome(bad_qid));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().code, kOutcomeGone);
    EXPECT_EQ(counts(), before);
    EXPECT_EQ(stored_envelope(env.queue_id).recipients[0].state, mail::RcptState::kQueued);
}

TEST_F(OutcomeTest, SecondOutcomeOfOneMessageInABatchFailsAlone) {
    auto env = spool({{"r@remote.example", false}});
    auto other = spool({{"s@remote.example", false}});
    auto deferred = make_outcome(env);
    deferred->envelope.recipients[0].state = mail::RcptState::kDeferred;
    deferred->envelope.next_attempt += 600;
    auto delivered = make_outcome(env);
    delivered->envelope.recipients[0].state = mail::RcptState::kDelivered;
    auto accepted = make_request(make_envelope("x@example.org", {{"t@remote.example", false}}), "m", nullptr);
    auto other_done = make_outcome(other);
    other_done->envelope.recipients[0].state = mail::RcptState::kDelivered;

    // Mixed kinds in one batch, as the stage forms them.
    std::vector<CommitRef> batch{deferred.get(), accepted.get(), delivered.get(), other_done.get()};
    auto results = test_hooks::write_batch(*store, batch);
    ASSERT_EQ(results.size(), 4u);
    EXPECT_TRUE(results[0].ok());
    EXPECT_TRUE(results[1].ok());
    EXPECT_FALSE(results[2].ok());
    EXPECT_TRUE(results[3].ok());

    mail::Envelope e = stored_envelope(env.queue_id);  // the first outcome's state
    EXPECT_EQ(e.recipients[0].state, mail::RcptState::kDeferred);
    EXPECT_TRUE(scheduled(e.next_attempt, env.queue_id));
    EXPECT_FALSE(store->spool().get_envelope(other.queue_id).value().has_value());
    EXPECT_TRUE(store->spool().get_envelope(accepted->envelope.queue_id).value().has_value());
    EXPECT_EQ(count(keys::kSchedule), 2u);
}

TEST_F(OutcomeTest, RecoverFindsNothingToRepairAfterOutcomes) {
    auto a = spool({{"alice@localhost", true}, {"r@remote.example", false}});
    auto b = spool({{"r@remote.example", false}});
    a.recipients[1].state = mail::RcptState::kDeferred;
    a.next_attempt += 900;
    ASSERT_TRUE(write_outcome(*store, make_outcome(a, {0}, body_of(kMessage))).ok());
    b.recipients[0].state = mail::RcptState::kDelivered;
    ASSERT_TRUE(write_outcome(*store, make_outcome(b)).ok());
    auto before = counts();
    ASSERT_TRUE(store->recovery().recover().ok());
    EXPECT_EQ(counts(), before);
    EXPECT_TRUE(scheduled(a.next_attempt, a.queue_id));
}
