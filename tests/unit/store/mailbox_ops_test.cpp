// The mailbox half of the POP3/IMAP store API: the default mailboxes,
// list/info, create (UIDVALIDITY), delete, rename (children, INBOX),
// subscriptions, and that Users::remove still removes everything. Message
// operations: mailbox_messages_test.cpp.
#include <gtest/gtest.h>

#include "test_util.hpp"

using namespace ringpost;
using namespace ringpost::store;
using namespace ringpost::store::testing;

namespace {

class MailboxOpsTest : public MailboxFixture {
protected:
    std::vector<std::string> names() {
        std::vector<std::string> out;
        auto r = store->mailboxes().list_mailboxes(kUser);
        EXPECT_TRUE(r.ok());
        if (r.ok())
            for (const auto& m : *r) out.push_back(m.name);
        return out;
    }
};

using Names = std::vector<std::string>;

}  // namespace

TEST_F(MailboxOpsTest, AddUserCreatesTheDefaultMailboxes) {
    auto list = store->mailboxes().list_mailboxes("Alice@Localhost");
    ASSERT_TRUE(list.ok()) << list.error().message;
    ASSERT_EQ(list->size(), 5u);
    // Name (byte) order.
    const Names expected{"Drafts", "INBOX", "Junk", "Sent", "Trash"};
    const Names uses{"\\Drafts", "", "\\Junk", "\\Sent", "\\Trash"};
    for (size_t i = 0; i < expected.size(); ++i) {
        const MailboxInfo& m = (*list)[i];
        EXPECT_EQ(m.name, expected[i]);
        EXPECT_EQ(m.special_use, uses[i]);
        EXPECT_TRUE(m.subscribed);
        EXPECT_GT(m.uidvalidity, 1700000000u);
        EXPECT_EQ(m.uidnext, 1u);
        EXPECT_EQ(m.messages, 0u);
        EXPECT_EQ(m.unseen, 0u);
        EXPECT_EQ(m.bytes, 0u);
    }
    // Idempotent; a missing one comes back, with a greater UIDVALIDITY.
    EXPECT_EQ(store->mailboxes().ensure_default_mailboxes(kUser).value(), 0u);
    const uint32_t junk = info("Junk").uidvalidity;
    ASSERT_TRUE(store->mailboxes().delete_mailbox(kUser, "Junk").ok());
    EXPECT_EQ(store->mailboxes().ensure_default_mailboxes(kUser).value(), 1u);
    EXPECT_GT(info("Junk").uidvalidity, junk);
    EXPECT_EQ(info("Junk").special_use, "\\Junk");
    // Other users are untouched; a user without any gets all five.
    EXPECT_TRUE(store->mailboxes().list_mailboxes("bob@localhost").value().empty());
    EXPECT_EQ(store->mailboxes().ensure_default_mailboxes("bob@localhost").value(), 5u);
    EXPECT_FALSE(store->mailboxes().ensure_default_mailboxes("").ok());
}

TEST_F(MailboxOpsTest, MailboxInfoOfMissingOrInvalidNames) {
    EXPECT_FALSE(store->mailboxes().mailbox_info(kUser, "Nope").value().has_value());
    auto bad = store->mailboxes().mailbox_info(kUser, "a//b");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, kInvalidMailboxName);
    EXPECT_FALSE(store->mailboxes().list_mailboxes("").ok());
}

TEST_F(MailboxOpsTest, CreateMailbox) {
    auto created = store->mailboxes().create_mailbox(kUser, "Projects", "\\Archive");
    ASSERT_TRUE(created.ok()) << created.error().message;
    EXPECT_EQ(created->name, "Projects");
    EXPECT_EQ(created->special_use, "\\Archive");
    EXPECT_FALSE(created->subscribed);
    EXPECT_EQ(created->uidnext, 1u);
    EXPECT_EQ(created->messages, 0u);
    // Greater than every UIDVALIDITY handed out before.
    const auto all = store->mailboxes().list_mailboxes(kUser).value();
    for (const auto& m : all) {
        if (m.name != "Projects") {
            EXPECT_GT(created->uidvalidity, m.uidvalidity) << m.name;
        }
    }
    auto stored = info("Projects");
    EXPECT_EQ(stored.uidvalidity, created->uidvalidity);
    EXPECT_EQ(stored.special_use, "\\Archive");

    // A child without its parent; UTF-8 names.
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "Archive/2024/Q1").ok());
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "Entwürfe").ok());
    EXPECT_EQ(names(), (Names{"Archive/2024/Q1", "Drafts", "Entwürfe", "INBOX", "Junk", "Projects", "Sent", "Trash"}));

    auto dup = store->mailboxes().create_mailbox(kUser, "Projects");
    ASSERT_FALSE(dup.ok());
    EXPECT_EQ(dup.error().code, kMailboxExists);
    EXPECT_NE(dup.error().message.find("Projects"), std::string::npos);
    EXPECT_EQ(store->mailboxes().create_mailbox(kUser, "INBOX").error().code, kMailboxExists);

    for (const std::string& bad : std::vector<std::string>{"", "/a", "a/", "a//b", "a\r\nb", std::string("a\0b", 3)}) {
        auto r = store->mailboxes().create_mailbox(kUser, bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().code, kInvalidMailboxName) << bad;
    }
    for (const char* use : {"\\All", "\\Flagged", "Sent", "\\Sentx"}) {
        auto r = store->mailboxes().create_mailbox(kUser, "X", use);
        ASSERT_FALSE(r.ok()) << use;
        EXPECT_EQ(r.error().code, kBadSpecialUse) << use;
    }
    // Attributes are case-insensitive (RFC 3501 flags); stored as RFC 6154 spells them.
    EXPECT_EQ(store->mailboxes().create_mailbox(kUser, "Outbox", "\\SENT").value().special_use, "\\Sent");
    auto no_user = store->mailboxes().create_mailbox("", "X");
    ASSERT_FALSE(no_user.ok());
    EXPECT_FALSE(no_user.error().code);
    EXPECT_FALSE(store->mailboxes().mailbox_info(kUser, "X").value().has_value());
    EXPECT_EQ(info("Outbox").special_use, "\\Sent");
}

TEST_F(MailboxOpsTest, UidValidityOfARecreatedNameIsGreaterAcrossRestarts) {
    const uint32_t first = store->mailboxes().create_mailbox(kUser, "Temp").value().uidvalidity;
    ASSERT_TRUE(store->mailboxes().delete_mailbox(kUser, "Temp").ok());
    const uint32_t second = store->mailboxes().create_mailbox(kUser, "Temp").value().uidvalidity;
    EXPECT_GT(second, first);  // within the same second too
    ASSERT_TRUE(store->mailboxes().delete_mailbox(kUser, "Temp").ok());

    store.reset();  // the counter was persisted with the mailbox
    store = open_store(dir.db());
    ASSERT_TRUE(store);
    const uint32_t third = store->mailboxes().create_mailbox(kUser, "Temp").value().uidvalidity;
    EXPECT_GT(third, second);
    auto raw = test_hooks::raw_get(*store, "default", keys::kUidValidityLast);
    ASSERT_TRUE(raw.ok() && raw->has_value());
    EXPECT_EQ(decode_refcount(**raw).value(), third);
}

TEST_F(MailboxOpsTest, DeleteMailboxDropsItsMessagesAndKeepsChildren) {
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "Old").ok());
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "Old/Child").ok());
    const std::string shared = deliver();
    const std::string own = deliver("Subject: own\r\n\r\nown body");
    ASSERT_TRUE(store->mailboxes().copy_messages(kUser, "INBOX", {1, 2}, "Old").ok());
    ASSERT_TRUE(store->mailboxes().expunge(kUser, "INBOX", {2}).ok());  // `own` only in Old now
    ASSERT_TRUE(store->mailboxes().append_message(kUser, "Old/Child", "Subject: c\r\n\r\nc", 0, 0).ok());
    EXPECT_EQ(refs(shared), 2u);
    EXPECT_EQ(refs(own), 1u);

    ASSERT_TRUE(store->mailboxes().delete_mailbox(kUser, "Old").ok());
    EXPECT_FALSE(store->mailboxes().mailbox_info(kUser, "Old").value().has_value());
    EXPECT_EQ(refs(shared), 1u);  // INBOX still has it
    EXPECT_TRUE(body_stored(shared));
    EXPECT_EQ(refs(own), 0u);
    EXPECT_FALSE(body_stored(own));
    EXPECT_EQ(uids("Old/Child").size(), 1u);  // children stay
    EXPECT_EQ(count(keys::kMessages), 2u);    // INBOX 1 + Old/Child 1
    auto gone = store->mailboxes().list_messages(kUser, "Old");
    ASSERT_FALSE(gone.ok());
    EXPECT_EQ(gone.error().code, kNoSuchMailbox);

    auto inbox = store->mailboxes().delete_mailbox(kUser, "INBOX");
    ASSERT_FALSE(inbox.ok());
    EXPECT_EQ(inbox.error().code, kCannotDeleteInbox);
    auto missing = store->mailboxes().delete_mailbox(kUser, "Old");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, kNoSuchMailbox);
    EXPECT_NE(missing.error().message.find("'Old'"), std::string::npos);
    EXPECT_EQ(store->mailboxes().delete_mailbox(kUser, "a//b").error().code, kInvalidMailboxName);
}

TEST_F(MailboxOpsTest, RenameMovesChildrenAndKeepsUidsAndUidValidity) {
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "Work").ok());
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "Work/A").ok());
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "Work/A/Deep").ok());
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "Workshop").ok());  // same prefix, not a child
    ASSERT_TRUE(store->mailboxes().set_subscribed(kUser, "Work/A", true).ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->mailboxes().append_message(kUser, "Work", "Subject: w\r\n\r\nw", 0, 0).ok());
    ASSERT_TRUE(store->mailboxes().expunge(kUser, "Work", {2}).ok());
    ASSERT_TRUE(store->mailboxes().append_message(kUser, "Work/A/Deep", "Subject: d\r\n\r\nd", kFlagSeen, 0).ok());
    ASSERT_TRUE(store->mailboxes().append_message(kUser, "Workshop", "Subject: s\r\n\r\ns", 0, 0).ok());
    const MailboxInfo work = info("Work"), deep = info("Work/A/Deep"), a = info("Work/A");
    const uint64_t message_keys = count(keys::kMessages);

    ASSERT_TRUE(store->mailboxes().rename_mailbox(kUser, "Work", "Jobs/Current").ok());
    EXPECT_EQ(names(), (Names{"Drafts", "INBOX", "Jobs/Current", "Jobs/Current/A", "Jobs/Current/A/Deep", "Junk",
                              "Sent", "Trash", "Workshop"}));
    MailboxInfo moved = info("Jobs/Current");
    EXPECT_EQ(moved.uidvalidity, work.uidvalidity);
    EXPECT_EQ(moved.uidnext, 4u);
    EXPECT_EQ(moved.messages, 2u);
    EXPECT_EQ(moved.bytes, work.bytes);
    EXPECT_EQ(uids("Jobs/Current"), (std::vector<uint32_t>{1, 3}));
    EXPECT_EQ(info("Jobs/Current/A/Deep").uidvalidity, deep.uidvalidity);
    EXPECT_EQ(info("Jobs/Current/A/Deep").unseen, 0u);
    EXPECT_EQ(info("Jobs/Current/A").subscribed, a.subscribed);
    EXPECT_EQ(uids("Jobs/Current/A/Deep"), (std::vector<uint32_t>{1}));
    EXPECT_EQ(uids("Workshop"), (std::vector<uint32_t>{1}));
    EXPECT_EQ(count(keys::kMessages), message_keys);  // moved, not copied
    EXPECT_FALSE(store->mailboxes().get_message_record(kUser, "Work", 1).value().has_value());
    EXPECT_EQ(text(store->mailboxes().read_message(kUser, "Jobs/Current", 3)), "Subject: w\r\n\r\nw");
    expect_counters_exact("Jobs/Current");

    // Renaming a child on its own.
    ASSERT_TRUE(store->mailboxes().rename_mailbox(kUser, "Jobs/Current/A/Deep", "Deep").ok());
    EXPECT_EQ(uids("Deep"), (std::vector<uint32_t>{1}));
    EXPECT_FALSE(store->mailboxes().mailbox_info(kUser, "Jobs/Current/A/Deep").value().has_value());
}

TEST_F(MailboxOpsTest, RenameErrorsChangeNothing) {
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "A").ok());
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "A/X").ok());
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "B/X").ok());  // B itself does not exist
    ASSERT_TRUE(store->mailboxes().append_message(kUser, "A", "m", 0, 0).ok());
    const Names before = names();

    auto exists = store->mailboxes().rename_mailbox(kUser, "A", "Sent");
    ASSERT_FALSE(exists.ok());
    EXPECT_EQ(exists.error().code, kMailboxExists);
    auto child_exists = store->mailboxes().rename_mailbox(kUser, "A", "B");  // A/X -> B/X exists
    ASSERT_FALSE(child_exists.ok());
    EXPECT_EQ(child_exists.error().code, kMailboxExists);
    EXPECT_NE(child_exists.error().message.find("B/X"), std::string::npos);
    EXPECT_EQ(store->mailboxes().rename_mailbox(kUser, "A", "INBOX").error().code, kMailboxExists);
    EXPECT_EQ(store->mailboxes().rename_mailbox(kUser, "A", "A").error().code, kMailboxExists);
    EXPECT_EQ(store->mailboxes().rename_mailbox(kUser, "A", "A/X/Y").error().code, kInvalidMailboxName);
    EXPECT_EQ(store->mailboxes().rename_mailbox(kUser, "Nope", "C").error().code, kNoSuchMailbox);
    EXPECT_EQ(store->mailboxes().rename_mailbox(kUser, "A", "C/").error().code, kInvalidMailboxName);
    EXPECT_EQ(names(), before);
    EXPECT_EQ(uids("A"), (std::vector<uint32_t>{1}));

    // Under a name that merely shares the prefix is fine.
    ASSERT_TRUE(store->mailboxes().rename_mailbox(kUser, "A", "AB").ok());
    EXPECT_EQ(uids("AB"), (std::vector<uint32_t>{1}));
    EXPECT_TRUE(store->mailboxes().mailbox_info(kUser, "AB/X").value().has_value());
}

TEST_F(MailboxOpsTest, RenameInboxLeavesAnEmptyInboxWithNewUidValidity) {
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "INBOX/Sub").ok());
    deliver();
    deliver("Subject: two\r\n\r\n2");
    ASSERT_TRUE(store->mailboxes().set_flags(kUser, "INBOX", {{1, kFlagSeen}}).ok());
    const MailboxInfo inbox = info("INBOX");

    ASSERT_TRUE(store->mailboxes().rename_mailbox(kUser, "INBOX", "Old Mail").ok());
    MailboxInfo old = info("Old Mail");
    EXPECT_EQ(old.uidvalidity, inbox.uidvalidity);
    EXPECT_EQ(old.uidnext, 3u);
    EXPECT_EQ(old.messages, 2u);
    EXPECT_EQ(old.unseen, 1u);
    EXPECT_EQ(uids("Old Mail"), (std::vector<uint32_t>{1, 2}));
    EXPECT_EQ(record("Old Mail", 1).flags, static_cast<uint32_t>(kFlagSeen));
    MailboxInfo fresh = info("INBOX");
    EXPECT_GT(fresh.uidvalidity, inbox.uidvalidity);
    EXPECT_EQ(fresh.uidnext, 1u);
    EXPECT_EQ(fresh.messages, 0u);
    EXPECT_EQ(fresh.unseen, 0u);
    EXPECT_EQ(fresh.bytes, 0u);
    EXPECT_TRUE(fresh.subscribed);
    EXPECT_TRUE(uids("INBOX").empty());
    EXPECT_TRUE(store->mailboxes().mailbox_info(kUser, "INBOX/Sub").value().has_value());  // children stay
    EXPECT_FALSE(store->mailboxes().mailbox_info(kUser, "Old Mail/Sub").value().has_value());

    // The commit thread sees the new INBOX (its meta cache followed): UID 1.
    deliver("Subject: three\r\n\r\n3");
    EXPECT_EQ(uids("INBOX"), (std::vector<uint32_t>{1}));
    EXPECT_EQ(info("INBOX").uidvalidity, fresh.uidvalidity);
    expect_counters_exact("INBOX");
    expect_counters_exact("Old Mail");
    // The old messages are still readable under their new name.
    EXPECT_EQ(text(store->mailboxes().read_message(kUser, "Old Mail", 2)),
              "Return-Path: <bob@example.org>\r\nDelivered-To: alice@localhost\r\nSubject: two\r\n\r\n2");
}

TEST_F(MailboxOpsTest, Subscriptions) {
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "Lists").ok());
    EXPECT_FALSE(info("Lists").subscribed);
    ASSERT_TRUE(store->mailboxes().set_subscribed(kUser, "Lists", true).ok());
    EXPECT_TRUE(info("Lists").subscribed);
    ASSERT_TRUE(store->mailboxes().set_subscribed(kUser, "Lists", true).ok());  // no change, no error
    ASSERT_TRUE(store->mailboxes().set_subscribed(kUser, "INBOX", false).ok());
    EXPECT_FALSE(info("INBOX").subscribed);
    // The INBOX meta keeps its counters (the commit thread's cache too).
    deliver();
    EXPECT_FALSE(info("INBOX").subscribed);
    EXPECT_EQ(info("INBOX").messages, 1u);
    auto missing = store->mailboxes().set_subscribed(kUser, "Nope", false);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, kNoSuchMailbox);
}

// RFC 3501 6.3.6: a name may be subscribed without a mailbox, and DELETE
// leaves the subscription; a mailbox created or renamed under the name
// takes it over; Users::remove removes it.
TEST_F(MailboxOpsTest, SubscriptionsOutliveTheirMailbox) {
    using Names = std::vector<std::string>;
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "Gone").ok());
    ASSERT_TRUE(store->mailboxes().set_subscribed(kUser, "Gone", true).ok());
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "Unsubscribed").ok());
    ASSERT_TRUE(store->mailboxes().delete_mailbox(kUser, "Gone").ok());
    ASSERT_TRUE(store->mailboxes().delete_mailbox(kUser, "Unsubscribed").ok());
    EXPECT_EQ(store->mailboxes().list_orphan_subscriptions(kUser).value(), Names{"Gone"});
    ASSERT_TRUE(store->mailboxes().set_subscribed(kUser, "Never/There", true).ok());
    ASSERT_TRUE(store->mailboxes().set_subscribed(kUser, "Never/There", true).ok());   // no change, no error
    EXPECT_EQ(store->mailboxes().list_orphan_subscriptions(kUser).value(), (Names{"Gone", "Never/There"}));
    ASSERT_TRUE(store->mailboxes().set_subscribed(kUser, "Never/There", false).ok());
    EXPECT_EQ(store->mailboxes().set_subscribed(kUser, "Never/There", false).error().code, kNoSuchMailbox);
    // Created again: subscribed, and no longer an orphan.
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "Gone").ok());
    EXPECT_TRUE(info("Gone").subscribed);
    EXPECT_TRUE(store->mailboxes().list_orphan_subscriptions(kUser).value().empty());
    // Renamed onto a subscribed name: the same.
    ASSERT_TRUE(store->mailboxes().set_subscribed(kUser, "Target", true).ok());
    ASSERT_TRUE(store->mailboxes().rename_mailbox(kUser, "Gone", "Target").ok());
    EXPECT_TRUE(info("Target").subscribed);
    EXPECT_TRUE(store->mailboxes().list_orphan_subscriptions(kUser).value().empty());   // the subscription moved along
    ASSERT_TRUE(store->users().add({"dave@localhost", "", 0}).ok());
    ASSERT_TRUE(store->mailboxes().set_subscribed("dave@localhost", "Elsewhere", true).ok());
    ASSERT_TRUE(store->users().remove(kUser).ok());
    EXPECT_TRUE(store->mailboxes().list_orphan_subscriptions(kUser).value().empty());
    EXPECT_EQ(store->mailboxes().list_orphan_subscriptions("dave@localhost").value(), Names{"Elsewhere"});
}

TEST_F(MailboxOpsTest, DeleteUserRemovesEveryMailboxAndMessage) {
    ASSERT_TRUE(store->users().add({"dave@localhost", "", 0}).ok());
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "Keep/Deep", "\\Archive").ok());
    const std::string qid = deliver();
    ASSERT_TRUE(store->mailboxes().copy_messages(kUser, "INBOX", {1}, "Keep/Deep").ok());
    auto appended = store->mailboxes().append_message(kUser, "Sent", "Subject: sent\r\n\r\nx", kFlagSeen, 0);
    ASSERT_TRUE(appended.ok());
    const size_t dave_mailboxes = store->mailboxes().list_mailboxes("dave@localhost").value().size();

    ASSERT_TRUE(store->users().remove(kUser).ok());
    EXPECT_TRUE(store->mailboxes().list_mailboxes(kUser).value().empty());
    EXPECT_EQ(count(keys::kMailboxes), dave_mailboxes);
    EXPECT_EQ(count(keys::kMessages), 0u);
    EXPECT_EQ(count(keys::kBodies), 0u);
    EXPECT_EQ(count(keys::kBodyRefs), 0u);
    EXPECT_FALSE(body_stored(qid));

    // Back again: fresh defaults, and nothing of the old mailboxes.
    ASSERT_TRUE(store->users().add({kUser, "", 0}).ok());
    EXPECT_EQ(names(), (Names{"Drafts", "INBOX", "Junk", "Sent", "Trash"}));
    EXPECT_EQ(info("Sent").messages, 0u);
    deliver();
    EXPECT_EQ(uids("INBOX"), (std::vector<uint32_t>{1}));
}

TEST_F(MailboxOpsTest, ReadOnlyStoreRefusesMailboxWrites) {
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "Box").ok());
    deliver();
    auto reader = open_store(dir.db(), /*read_only=*/true);
    ASSERT_TRUE(reader);
    EXPECT_EQ(reader->mailboxes().list_mailboxes(kUser).value().size(), 6u);
    EXPECT_EQ(reader->mailboxes().list_messages(kUser, "INBOX").value().messages.size(), 1u);
    EXPECT_FALSE(reader->mailboxes().create_mailbox(kUser, "X").ok());
    EXPECT_FALSE(reader->mailboxes().delete_mailbox(kUser, "Box").ok());
    EXPECT_FALSE(reader->mailboxes().rename_mailbox(kUser, "Box", "Y").ok());
    EXPECT_FALSE(reader->mailboxes().set_subscribed(kUser, "Box", true).ok());
    EXPECT_FALSE(reader->mailboxes().ensure_default_mailboxes(kUser).ok());
    EXPECT_FALSE(reader->mailboxes().set_flags(kUser, "INBOX", {{1, kFlagSeen}}).ok());
    EXPECT_FALSE(reader->mailboxes().expunge(kUser, "INBOX", {1}).ok());
    EXPECT_FALSE(reader->mailboxes().copy_messages(kUser, "INBOX", {1}, "Box").ok());
    EXPECT_FALSE(reader->mailboxes().append_message(kUser, "INBOX", "x", 0, 0).ok());
}
