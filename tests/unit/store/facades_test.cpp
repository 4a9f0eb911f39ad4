// Store's facades (users(), spool(), mailboxes(), recovery()) are views of
// one database: what one of them writes, or the commit stage commits, the
// others see at once. Each test holds only the facades it uses, as a
// component that takes one facade instead of the Store would.
#include <string>

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace ringpost::store::testing {
namespace {

constexpr const char* kBob = "bob@localhost";

using FacadesTest = StoreFixture;

std::vector<std::string> mailbox_names(Mailboxes& mailboxes, const std::string& user) {
    std::vector<std::string> out;
    auto listed = mailboxes.list_mailboxes(user);
    EXPECT_TRUE(listed.ok()) << (listed.ok() ? "" : listed.error().message);
    if (listed.ok())
        for (const auto& m : *listed) out.push_back(m.name);
    return out;
}

TEST_F(FacadesTest, UserAddedThroughUsersHasMailboxesAndIsRemovedWithThem) {
    Users& users = store->users();
    Mailboxes& mailboxes = store->mailboxes();
    ASSERT_TRUE(mailbox_names(mailboxes, kBob).empty());

    ASSERT_TRUE(users.add({"Bob@LocalHost", "$y$hash", 0}).ok());
    EXPECT_TRUE(users.exists(kBob));
    EXPECT_EQ(mailbox_names(mailboxes, kBob),
              (std::vector<std::string>{"Drafts", "INBOX", "Junk", "Sent", "Trash"}));
    ASSERT_TRUE(mailboxes.create_mailbox(kBob, "Projects").ok());
    ASSERT_TRUE(mailboxes.append_message(kBob, "Projects", kMessage, kFlagSeen, 0).ok());

    ASSERT_TRUE(users.remove(kBob).ok());
    EXPECT_FALSE(users.exists(kBob));
    EXPECT_FALSE(users.get(kBob).value().has_value());
    EXPECT_TRUE(mailbox_names(mailboxes, kBob).empty());
    EXPECT_FALSE(mailboxes.mailbox_info(kBob, "Projects").value().has_value());
    // alice's account, added by the fixture, is untouched.
    ASSERT_EQ(users.list().value().size(), 1u);
    EXPECT_EQ(mailbox_names(mailboxes, "alice@localhost").size(), 5u);
}

TEST_F(FacadesTest, MessageCommittedThroughTheStageIsInTheSpoolThenInTheMailbox) {
    Spool& spool = store->spool();
    auto env = make_envelope("carol@example.org", {{"alice@localhost", true}});
    ASSERT_TRUE(accept(*store, env, kMessage).ok());

    auto queued = spool.list();
    ASSERT_TRUE(queued.ok());
    ASSERT_EQ(queued->size(), 1u);
    EXPECT_EQ((*queued)[0].queue_id, env.queue_id);
    EXPECT_EQ(spool.stats().value().recipients_pending, 1u);
    EXPECT_EQ(text(spool.get_body(env.queue_id)), kMessage);
    EXPECT_TRUE(store->mailboxes().list_mailbox("alice@localhost").value().empty());

    // The local delivery's outcome (commit stage) moves it from the spool
    // into the mailbox.
    ASSERT_TRUE(deliver_local(*store, env.queue_id).ok());
    EXPECT_TRUE(spool.list().value().empty());
    auto inbox = store->mailboxes().list_mailbox("alice@localhost");
    ASSERT_TRUE(inbox.ok());
    ASSERT_EQ(inbox->size(), 1u);
    EXPECT_EQ((*inbox)[0].queue_id, env.queue_id);
    EXPECT_EQ((*inbox)[0].subject, "Hello there");
}

TEST_F(FacadesTest, RecoveryRepairsWhatTheSpoolScansAndRemoveUndoesAccept) {
    auto env = make_envelope("carol@example.org", {{"dave@example.net"}});
    ASSERT_TRUE(accept(*store, env, kMessage).ok());
    ASSERT_TRUE(test_hooks::raw_delete(*store, keys::kSchedule, keys::schedule_key(env.received_at, env.queue_id)).ok());
    auto never_in_flight = [](std::string_view) { return false; };
    EXPECT_TRUE(store->spool().load_due(env.received_at, 0, 10, 1 << 20, never_in_flight).value().messages.empty());

    ASSERT_TRUE(store->recovery().recover().ok());
    auto due = store->spool().load_due(env.received_at, 0, 10, 1 << 20, never_in_flight);
    ASSERT_TRUE(due.ok());
    ASSERT_EQ(due->messages.size(), 1u);
    EXPECT_EQ(due->messages[0].envelope.queue_id, env.queue_id);

    ASSERT_TRUE(store->spool().remove(env.queue_id).ok());
    EXPECT_FALSE(store->spool().get_envelope(env.queue_id).value().has_value());
    EXPECT_FALSE(store->spool().get_body(env.queue_id).value().has_value());
    EXPECT_FALSE(scheduled(env.received_at, env.queue_id));
}

}  // namespace
}  // namespace ringpost::store::testing
