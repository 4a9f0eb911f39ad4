// The message half of the POP3/IMAP store API: listings and reads, flags,
// expunge, copy/move, append; counters (messages, bytes, unseen) exact
// across all of them and local delivery; body reference counts; UIDs
// ascending and never reused; set_flags/expunge racing the commit thread.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "mail/mime.hpp"
#include "test_util.hpp"

using namespace ringpost;
using namespace ringpost::store;
using namespace ringpost::store::testing;

namespace {

class MailboxMessagesTest : public MailboxFixture {};

using Uids = std::vector<uint32_t>;
using UidPairs = std::vector<std::pair<uint32_t, uint32_t>>;

const std::string kPrefix = "Return-Path: <bob@example.org>\r\nDelivered-To: alice@localhost\r\n";

}  // namespace

TEST_F(MailboxMessagesTest, ListMessagesWithCounters) {
    deliver();
    deliver("Subject: second\r\n\r\nbody 2");
    auto listing = store->mailboxes().list_messages(kUser, "INBOX");
    ASSERT_TRUE(listing.ok()) << listing.error().message;
    EXPECT_EQ(listing->info.name, "INBOX");
    EXPECT_EQ(listing->info.uidnext, 3u);
    EXPECT_EQ(listing->info.messages, 2u);
    EXPECT_EQ(listing->info.unseen, 2u);
    ASSERT_EQ(listing->messages.size(), 2u);
    const MessageEntry& first = listing->messages[0];
    EXPECT_EQ(first.uid, 1u);
    EXPECT_EQ(first.flags, 0u);
    EXPECT_EQ(first.size, kPrefix.size() + std::string(kMessage).size());
    EXPECT_EQ(first.internal_date, 1700000000);
    EXPECT_EQ(listing->messages[1].uid, 2u);
    EXPECT_EQ(listing->info.bytes, first.size + listing->messages[1].size);
    expect_counters_exact("INBOX");

    EXPECT_TRUE(store->mailboxes().list_messages(kUser, "Sent").value().messages.empty());
    auto missing = store->mailboxes().list_messages(kUser, "Nope");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, kNoSuchMailbox);
    EXPECT_EQ(store->mailboxes().list_messages(kUser, "/x").error().code, kInvalidMailboxName);
    EXPECT_FALSE(store->mailboxes().list_messages("", "INBOX").ok());
}

// \Recent: each UID is handed out once, to the first claim that covers it;
// listings and STATUS count what lies above the floor.
TEST_F(MailboxMessagesTest, ClaimRecentHandsOutEachUidOnce) {
    deliver();
    deliver("Subject: second\r\n\r\nbody 2");
    auto listing = store->mailboxes().list_messages(kUser, "INBOX");
    ASSERT_TRUE(listing.ok());
    EXPECT_EQ(listing->info.recent_floor, 0u);
    EXPECT_EQ(listing->info.recent, 2u);
    EXPECT_EQ(store->mailboxes().mailbox_info(kUser, "INBOX").value()->recent, 2u);
    const uint32_t validity = listing->info.uidvalidity;

    auto first = store->mailboxes().claim_recent(kUser, "INBOX", validity, 1);
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_EQ(*first, 0u);   // UID 1 is the caller's
    EXPECT_EQ(store->mailboxes().mailbox_info(kUser, "INBOX").value()->recent, 1u);
    EXPECT_EQ(store->mailboxes().claim_recent(kUser, "INBOX", validity, 1).value(), 1u);   // nothing more
    // Past uidnext - 1 is cut: a later delivery stays for whoever sees it first.
    EXPECT_EQ(store->mailboxes().claim_recent(kUser, "INBOX", validity, 99).value(), 1u);
    EXPECT_EQ(store->mailboxes().list_messages(kUser, "INBOX").value().info.recent_floor, 2u);
    deliver("Subject: third\r\n\r\nbody 3");   // through the commit thread's cached meta
    listing = store->mailboxes().list_messages(kUser, "INBOX");
    EXPECT_EQ(listing->info.recent_floor, 2u);
    EXPECT_EQ(listing->info.recent, 1u);
    bool found = false;
    auto boxes = store->mailboxes().list_mailboxes(kUser);
    ASSERT_TRUE(boxes.ok());
    for (const auto& m : *boxes) {
        if (m.name != "INBOX") continue;
        found = true;
        EXPECT_EQ(m.recent, 1u);
    }
    EXPECT_TRUE(found);
    // An expunged recent message is no longer counted.
    ASSERT_TRUE(store->mailboxes().expunge(kUser, "INBOX", {3}).ok());
    EXPECT_EQ(store->mailboxes().mailbox_info(kUser, "INBOX").value()->recent, 0u);

    EXPECT_EQ(store->mailboxes().claim_recent(kUser, "INBOX", validity + 1, 3).error().code, kNoSuchMailbox);
    EXPECT_EQ(store->mailboxes().claim_recent(kUser, "Nope", validity, 3).error().code, kNoSuchMailbox);
}

TEST_F(MailboxMessagesTest, ReadsOfRecordsAndMessageBytes) {
    const std::string qid = deliver();
    MessageRecord rec = record("INBOX", 1);
    EXPECT_EQ(rec.queue_id, qid);
    EXPECT_EQ(rec.prefix, kPrefix);
    EXPECT_EQ(rec.subject, "Hello there");
    EXPECT_EQ(rec.size, kPrefix.size() + std::string(kMessage).size());
    EXPECT_FALSE(store->mailboxes().get_message_record(kUser, "INBOX", 2).value().has_value());

    const std::string whole = kPrefix + kMessage;
    EXPECT_EQ(text(store->mailboxes().read_message(kUser, "INBOX", 1)), whole);
    EXPECT_FALSE(store->mailboxes().read_message(kUser, "INBOX", 7).value().has_value());
    EXPECT_FALSE(store->mailboxes().read_message(kUser, "Sent", 1).value().has_value());
    // Ranges within the prefix, across the boundary, in the body, cut at the end, past it.
    for (auto [offset, length] : std::vector<std::pair<uint64_t, uint64_t>>{
             {0, 6}, {10, 40}, {kPrefix.size() - 3, 10}, {kPrefix.size() + 5, 7}, {whole.size() - 4, 100},
             {0, whole.size()}, {whole.size(), 5}, {whole.size() + 10, 5}, {3, 0}}) {
        const std::string expected = offset >= whole.size() ? "" : whole.substr(offset, length);
        EXPECT_EQ(text(store->mailboxes().read_message_range(kUser, "INBOX", 1, offset, length)), expected)
            << offset << "+" << length;
    }
    EXPECT_FALSE(store->mailboxes().read_message_range(kUser, "INBOX", 9, 0, 10).value().has_value());

    // A record whose body is gone is an error, not an empty message.
    ASSERT_TRUE(test_hooks::raw_delete(*store, keys::kBodies, qid).ok());
    EXPECT_FALSE(store->mailboxes().read_message(kUser, "INBOX", 1).ok());
}

TEST_F(MailboxMessagesTest, SetFlagsIsAbsoluteAndKeepsUnseenExact) {
    for (int i = 0; i < 4; ++i) deliver();
    auto changed = store->mailboxes().set_flags(kUser, "INBOX", {{2, kFlagSeen | kFlagFlagged}, {4, kFlagSeen}, {9, kFlagSeen}});
    ASSERT_TRUE(changed.ok()) << changed.error().message;
    EXPECT_EQ(*changed, (UidPairs{{2, kFlagSeen | kFlagFlagged}, {4, kFlagSeen}}));  // UID 9 does not exist
    EXPECT_EQ(info("INBOX").unseen, 2u);
    EXPECT_EQ(record("INBOX", 2).flags, static_cast<uint32_t>(kFlagSeen | kFlagFlagged));
    expect_counters_exact("INBOX");

    // Unchanged flags are not reported; listed twice, the last value wins; order does not matter.
    changed = store->mailboxes().set_flags(kUser, "INBOX", {{4, kFlagSeen}, {3, kFlagDeleted}, {2, kFlagAnswered}, {3, kFlagSeen}});
    ASSERT_TRUE(changed.ok());
    EXPECT_EQ(*changed, (UidPairs{{2, kFlagAnswered}, {3, kFlagSeen}}));
    EXPECT_EQ(info("INBOX").unseen, 2u);  // 2 lost \Seen, 3 gained it
    expect_counters_exact("INBOX");
    EXPECT_TRUE(store->mailboxes().set_flags(kUser, "INBOX", {}).value().empty());
    EXPECT_TRUE(store->mailboxes().set_flags(kUser, "INBOX", {{3, kFlagSeen}}).value().empty());

    auto missing = store->mailboxes().set_flags(kUser, "Nope", {{1, kFlagSeen}});
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, kNoSuchMailbox);

    // Relative changes: +FLAGS / -FLAGS in one call each.
    changed = store->mailboxes().change_flags(kUser, "INBOX", {4, 3, 2, 1, 8}, kFlagDeleted, 0);
    ASSERT_TRUE(changed.ok()) << changed.error().message;
    EXPECT_EQ(*changed, (UidPairs{{1, kFlagDeleted}, {2, kFlagAnswered | kFlagDeleted}, {3, kFlagSeen | kFlagDeleted},
                                  {4, kFlagSeen | kFlagDeleted}}));
    changed = store->mailboxes().change_flags(kUser, "INBOX", {1, 2, 3, 4}, kFlagSeen, kFlagDeleted | kFlagAnswered);
    ASSERT_TRUE(changed.ok());
    EXPECT_EQ(*changed, (UidPairs{{1, kFlagSeen}, {2, kFlagSeen}, {3, kFlagSeen}, {4, kFlagSeen}}));
    EXPECT_EQ(info("INBOX").unseen, 0u);
    expect_counters_exact("INBOX");
    ASSERT_TRUE(store->mailboxes().change_flags(kUser, "INBOX", {2}, 0, kFlagSeen).ok());
    EXPECT_EQ(info("INBOX").unseen, 1u);
    EXPECT_EQ(store->mailboxes().change_flags(kUser, "Nope", {1}, kFlagSeen, 0).error().code, kNoSuchMailbox);

    // The commit thread's cached INBOX meta followed: a delivery keeps unseen exact.
    deliver();
    expect_counters_exact("INBOX");
    EXPECT_EQ(info("INBOX").unseen, 2u);
}

TEST_F(MailboxMessagesTest, ExpungeRemovesEntriesAndNeverReusesUids) {
    std::vector<std::string> qids;
    for (int i = 0; i < 5; ++i) qids.push_back(deliver("Subject: " + std::to_string(i) + "\r\n\r\nb"));
    ASSERT_TRUE(
        store->mailboxes().set_flags(kUser, "INBOX", {{1, kFlagSeen}, {3, kFlagDeleted}, {5, kFlagDeleted | kFlagSeen}}).ok());

    // UID EXPUNGE: only the listed ones that are \Deleted.
    auto removed = store->mailboxes().expunge(kUser, "INBOX", {1, 3, 42}, /*require_deleted=*/true);
    ASSERT_TRUE(removed.ok()) << removed.error().message;
    EXPECT_EQ(*removed, (Uids{3}));
    EXPECT_FALSE(body_stored(qids[2]));  // its only reference was that entry
    EXPECT_EQ(refs(qids[2]), 0u);
    // EXPUNGE: every \Deleted one.
    EXPECT_EQ(store->mailboxes().expunge_deleted(kUser, "INBOX").value(), (Uids{5}));
    EXPECT_TRUE(store->mailboxes().expunge_deleted(kUser, "INBOX").value().empty());
    // POP3: listed, whatever the flags; duplicates and unknown UIDs ignored.
    EXPECT_EQ(store->mailboxes().expunge(kUser, "INBOX", {4, 1, 4, 77}).value(), (Uids{1, 4}));
    EXPECT_EQ(uids("INBOX"), (Uids{2}));
    MailboxInfo box = info("INBOX");
    EXPECT_EQ(box.messages, 1u);
    EXPECT_EQ(box.unseen, 1u);
    EXPECT_EQ(box.uidnext, 6u);
    expect_counters_exact("INBOX");
    EXPECT_TRUE(store->mailboxes().expunge(kUser, "INBOX", {}).value().empty());

    // The highest UID is gone, yet the next message gets a new one.
    deliver();
    EXPECT_EQ(uids("INBOX"), (Uids{2, 6}));
    auto appended = store->mailboxes().append_message(kUser, "INBOX", "Subject: a\r\n\r\na", 0, 0);
    ASSERT_TRUE(appended.ok());
    EXPECT_EQ(appended->uid, 7u);
    expect_counters_exact("INBOX");

    auto missing = store->mailboxes().expunge(kUser, "Nope", {1});
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, kNoSuchMailbox);
    EXPECT_EQ(store->mailboxes().expunge_deleted(kUser, "Nope").error().code, kNoSuchMailbox);
}

TEST_F(MailboxMessagesTest, CopySharesBodiesAndReportsCopyUid) {
    const std::string a = deliver("Subject: a\r\n\r\na"), b = deliver("Subject: b\r\n\r\nb"),
                      c = deliver("Subject: c\r\n\r\nc");
    ASSERT_TRUE(store->mailboxes().set_flags(kUser, "INBOX", {{2, kFlagSeen | kFlagAnswered}}).ok());
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "Archive").ok());
    ASSERT_TRUE(store->mailboxes().append_message(kUser, "Archive", "Subject: x\r\n\r\nx", 0, 0).ok());  // takes UID 1

    auto copied = store->mailboxes().copy_messages(kUser, "INBOX", {3, 2, 99}, "Archive");
    ASSERT_TRUE(copied.ok()) << copied.error().message;
    EXPECT_EQ(copied->uidvalidity, info("Archive").uidvalidity);
    EXPECT_EQ(copied->uids, (UidPairs{{2, 2}, {3, 3}}));  // ascending source order
    EXPECT_EQ(refs(a), 1u);
    EXPECT_EQ(refs(b), 2u);
    EXPECT_EQ(refs(c), 2u);
    MessageRecord copy = record("Archive", 2), original = record("INBOX", 2);
    EXPECT_EQ(copy.queue_id, b);
    EXPECT_EQ(copy.flags, static_cast<uint32_t>(kFlagSeen | kFlagAnswered));
    EXPECT_EQ(copy.prefix, original.prefix);
    EXPECT_EQ(copy.internal_date, original.internal_date);
    EXPECT_EQ(copy.summary, original.summary);
    EXPECT_EQ(text(store->mailboxes().read_message(kUser, "Archive", 3)), text(store->mailboxes().read_message(kUser, "INBOX", 3)));
    EXPECT_EQ(info("Archive").unseen, 2u);  // x and c
    expect_counters_exact("Archive");
    expect_counters_exact("INBOX");

    // Into the same mailbox: new UIDs at its end.
    auto again = store->mailboxes().copy_messages(kUser, "INBOX", {1}, "INBOX");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->uids, (UidPairs{{1, 4}}));
    EXPECT_EQ(refs(a), 2u);
    expect_counters_exact("INBOX");
    // Nothing found: nothing written, still the UIDVALIDITY.
    auto none = store->mailboxes().copy_messages(kUser, "INBOX", {50}, "Archive");
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->uids.empty());
    EXPECT_EQ(none->uidvalidity, info("Archive").uidvalidity);

    auto no_target = store->mailboxes().copy_messages(kUser, "INBOX", {1}, "Nope");
    ASSERT_FALSE(no_target.ok());
    EXPECT_EQ(no_target.error().code, kNoSuchMailbox);
    auto no_source = store->mailboxes().copy_messages(kUser, "Gone", {1}, "Archive");
    ASSERT_FALSE(no_source.ok());
    EXPECT_EQ(no_source.error().code, kNoSuchSourceMailbox);
    EXPECT_EQ(refs(a), 2u);
}

TEST_F(MailboxMessagesTest, MoveIsCopyAndExpungeInOneBatch) {
    const std::string a = deliver("Subject: a\r\n\r\na"), b = deliver("Subject: b\r\n\r\nb");
    ASSERT_TRUE(store->mailboxes().set_flags(kUser, "INBOX", {{1, kFlagSeen}}).ok());
    const uint64_t inbox_bytes = info("INBOX").bytes;

    auto moved = store->mailboxes().move_messages(kUser, "INBOX", {1, 2}, "Trash");
    ASSERT_TRUE(moved.ok()) << moved.error().message;
    EXPECT_EQ(moved->uids, (UidPairs{{1, 1}, {2, 2}}));
    EXPECT_EQ(moved->uidvalidity, info("Trash").uidvalidity);
    EXPECT_TRUE(uids("INBOX").empty());
    EXPECT_EQ(uids("Trash"), (Uids{1, 2}));
    EXPECT_EQ(refs(a), 1u);  // moved, not copied
    EXPECT_EQ(refs(b), 1u);
    EXPECT_EQ(info("Trash").bytes, inbox_bytes);
    EXPECT_EQ(info("Trash").unseen, 1u);
    EXPECT_EQ(info("INBOX").uidnext, 3u);  // the source's UIDs are not reused either
    expect_counters_exact("INBOX");
    expect_counters_exact("Trash");

    // Within one mailbox: the message gets a new UID.
    auto same = store->mailboxes().move_messages(kUser, "Trash", {1}, "Trash");
    ASSERT_TRUE(same.ok());
    EXPECT_EQ(same->uids, (UidPairs{{1, 3}}));
    EXPECT_EQ(uids("Trash"), (Uids{2, 3}));
    EXPECT_EQ(refs(a), 1u);
    expect_counters_exact("Trash");

    EXPECT_EQ(store->mailboxes().move_messages(kUser, "Trash", {2}, "Nope").error().code, kNoSuchMailbox);
    EXPECT_EQ(store->mailboxes().move_messages(kUser, "Nope", {2}, "INBOX").error().code, kNoSuchSourceMailbox);
    EXPECT_EQ(uids("Trash"), (Uids{2, 3}));
}

TEST_F(MailboxMessagesTest, AppendStoresItsOwnBody) {
    const std::string data = "From: me@localhost\r\nSubject: draft\r\n\r\nhello\r\n";
    auto appended = store->mailboxes().append_message(kUser, "Drafts", data, kFlagDraft | kFlagSeen, 1650000000);
    ASSERT_TRUE(appended.ok()) << appended.error().message;
    EXPECT_EQ(appended->uid, 1u);
    EXPECT_EQ(appended->uidvalidity, info("Drafts").uidvalidity);
    MessageRecord rec = record("Drafts", 1);
    EXPECT_TRUE(is_valid_queue_id(rec.queue_id));
    EXPECT_EQ(rec.prefix, "");
    EXPECT_EQ(rec.size, data.size());
    EXPECT_EQ(rec.flags, static_cast<uint32_t>(kFlagDraft | kFlagSeen));
    EXPECT_EQ(rec.internal_date, 1650000000);
    EXPECT_EQ(rec.subject, "draft");
    EXPECT_EQ(refs(rec.queue_id), 1u);
    EXPECT_EQ(text(store->mailboxes().read_message(kUser, "Drafts", 1)), data);
    EXPECT_EQ(text(store->mailboxes().get_mailbox_message(kUser, rec.queue_id + ".1")), data);
    EXPECT_FALSE(store->spool().get_envelope(rec.queue_id).value().has_value());  // never spooled
    EXPECT_EQ(info("Drafts").unseen, 0u);
    expect_counters_exact("Drafts");

    // Internal date 0 = now; an empty message is a message too.
    const int64_t before = static_cast<int64_t>(std::time(nullptr));
    auto second = store->mailboxes().append_message(kUser, "Drafts", "", 0, 0);
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(second->uid, 2u);
    EXPECT_GE(record("Drafts", 2).internal_date, before);
    EXPECT_NE(record("Drafts", 2).queue_id, rec.queue_id);
    expect_counters_exact("Drafts");

    auto missing = store->mailboxes().append_message(kUser, "Nope", data, 0, 0);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, kNoSuchMailbox);
    EXPECT_EQ(store->mailboxes().append_message(kUser, "a//b", data, 0, 0).error().code, kInvalidMailboxName);
}

TEST_F(MailboxMessagesTest, WritesIntoAMissingInboxCreateIt) {
    const char* user = "nobody@localhost";  // never added: no mailboxes at all
    auto appended = store->mailboxes().append_message(user, "INBOX", "Subject: a\r\n\r\na", 0, 0);
    ASSERT_TRUE(appended.ok()) << appended.error().message;
    auto inbox = store->mailboxes().mailbox_info(user, "INBOX").value();
    ASSERT_TRUE(inbox.has_value());
    EXPECT_EQ(inbox->uidvalidity, appended->uidvalidity);
    EXPECT_EQ(inbox->messages, 1u);
    EXPECT_TRUE(inbox->subscribed);

    ASSERT_TRUE(store->mailboxes().create_mailbox(user, "Box").ok());
    ASSERT_TRUE(store->mailboxes().move_messages(user, "INBOX", {1}, "Box").ok());
    ASSERT_TRUE(store->mailboxes().rename_mailbox(user, "INBOX", "Empty").ok());  // fine when empty too
    EXPECT_EQ(store->mailboxes().mailbox_info(user, "Empty").value()->uidnext, 2u);
    EXPECT_EQ(store->mailboxes().list_mailboxes(user).value().size(), 3u);
    // Other mailboxes do not come into being that way.
    EXPECT_EQ(store->mailboxes().append_message(user, "Sent", "x", 0, 0).error().code, kNoSuchMailbox);
    EXPECT_EQ(store->mailboxes().copy_messages(user, "Box", {1}, "Sent").error().code, kNoSuchMailbox);
}

TEST_F(MailboxMessagesTest, UidsRunOutCleanly) {
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "Full").ok());
    // Damage on purpose: a mailbox two UIDs before the end.
    MailboxMeta meta;
    meta.uidvalidity = info("Full").uidvalidity;
    meta.uidnext = UINT32_MAX - 2;
    ASSERT_TRUE(test_hooks::raw_put(*store, keys::kMailboxes, keys::mailbox_key(kUser, "Full"),
                                    encode_mailbox_meta(meta)).ok());
    deliver();
    deliver();
    deliver();
    auto too_many = store->mailboxes().copy_messages(kUser, "INBOX", {1, 2, 3}, "Full");
    ASSERT_FALSE(too_many.ok());
    EXPECT_EQ(too_many.error().code, kUidsExhausted);
    EXPECT_TRUE(uids("Full").empty());
    auto two = store->mailboxes().copy_messages(kUser, "INBOX", {1, 2}, "Full");
    ASSERT_TRUE(two.ok()) << two.error().message;
    EXPECT_EQ(two->uids, (UidPairs{{1, UINT32_MAX - 2}, {2, UINT32_MAX - 1}}));
    EXPECT_EQ(store->mailboxes().append_message(kUser, "Full", "x", 0, 0).error().code, kUidsExhausted);
    expect_counters_exact("Full");
}

// A body shared by the spool envelope and two mailbox entries lives until
// the last reference goes, whichever order they go in.
TEST_F(MailboxMessagesTest, SharedBodyLivesUntilTheLastReference) {
    auto env = make_envelope("bob@example.org", {{kUser, true}, {"carol@remote.example", false}});
    const std::string qid = env.queue_id;
    ASSERT_TRUE(accept_and_deliver(*store, env, kMessage).ok());  // carol still pending
    ASSERT_TRUE(store->mailboxes().copy_messages(kUser, "INBOX", {1}, "Junk").ok());
    EXPECT_EQ(refs(qid), 3u);  // envelope + INBOX + Junk

    ASSERT_TRUE(store->mailboxes().expunge(kUser, "INBOX", {1}).ok());
    EXPECT_EQ(refs(qid), 2u);
    ASSERT_TRUE(store->spool().remove(qid).ok());
    EXPECT_EQ(refs(qid), 1u);
    EXPECT_TRUE(body_stored(qid));
    EXPECT_EQ(text(store->mailboxes().read_message(kUser, "Junk", 1)), kPrefix + kMessage);

    ASSERT_TRUE(store->mailboxes().move_messages(kUser, "Junk", {1}, "Trash").ok());
    EXPECT_EQ(refs(qid), 1u);
    ASSERT_TRUE(store->mailboxes().expunge(kUser, "Trash", {1}).ok());
    EXPECT_EQ(refs(qid), 0u);
    EXPECT_FALSE(body_stored(qid));
    auto raw_refs = test_hooks::raw_get(*store, keys::kBodyRefs, qid);
    ASSERT_TRUE(raw_refs.ok());
    EXPECT_FALSE(raw_refs->has_value());
    EXPECT_EQ(count(keys::kBodies), 0u);
    EXPECT_EQ(count(keys::kMessages), 0u);

    // And in the other order: mailbox entries first, the envelope last.
    auto env2 = make_envelope("bob@example.org", {{kUser, true}, {"carol@remote.example", false}});
    ASSERT_TRUE(accept_and_deliver(*store, env2, kMessage).ok());
    ASSERT_TRUE(store->mailboxes().copy_messages(kUser, "INBOX", {2}, "Sent").ok());
    ASSERT_TRUE(store->mailboxes().delete_mailbox(kUser, "Sent").ok());
    ASSERT_TRUE(store->mailboxes().expunge(kUser, "INBOX", {2}).ok());
    EXPECT_EQ(refs(env2.queue_id), 1u);
    EXPECT_TRUE(body_stored(env2.queue_id));  // the spool still needs it for carol
    ASSERT_TRUE(store->spool().remove(env2.queue_id).ok());
    EXPECT_FALSE(body_stored(env2.queue_id));
}

// Every operation in turn, the counters checked against the records after
// each step.
TEST_F(MailboxMessagesTest, CountersStayExactAcrossEverything) {
    const std::vector<std::string> boxes{"INBOX", "Archive", "Trash"};
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "Archive").ok());
    auto check = [&](const char* step) {
        SCOPED_TRACE(step);
        for (const auto& b : boxes) expect_counters_exact(b);
    };
    for (int i = 0; i < 6; ++i) deliver("Subject: m" + std::to_string(i) + "\r\n\r\n" + std::string(i * 100, 'x'));
    check("deliver");
    ASSERT_TRUE(store->mailboxes().append_message(kUser, "Archive", "Subject: a\r\n\r\n" + std::string(5000, 'a'), kFlagSeen, 0)
                    .ok());
    ASSERT_TRUE(store->mailboxes().append_message(kUser, "INBOX", "Subject: b\r\n\r\nb", 0, 0).ok());
    check("append");
    ASSERT_TRUE(store->mailboxes().set_flags(kUser, "INBOX", {{1, kFlagSeen}, {2, kFlagSeen | kFlagDeleted}, {3, kFlagDeleted}})
                    .ok());
    check("flags");
    ASSERT_TRUE(store->mailboxes().copy_messages(kUser, "INBOX", {1, 2, 3, 4}, "Archive").ok());
    check("copy");
    ASSERT_TRUE(store->mailboxes().move_messages(kUser, "Archive", {1, 3}, "Trash").ok());
    check("move");
    ASSERT_TRUE(store->mailboxes().expunge_deleted(kUser, "INBOX").ok());
    ASSERT_TRUE(store->mailboxes().expunge(kUser, "Archive", {2}).ok());
    check("expunge");
    ASSERT_TRUE(store->mailboxes().set_flags(kUser, "Trash", {{1, 0}, {2, kFlagSeen}}).ok());
    check("flags again");
    deliver();
    check("deliver again");
    ASSERT_TRUE(store->mailboxes().delete_mailbox(kUser, "Trash").ok());
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "Trash").ok());
    check("delete");
    EXPECT_EQ(info("Trash").messages, 0u);
}

TEST_F(MailboxMessagesTest, UidsStrictlyAscendingAndNeverReused) {
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "Box").ok());
    std::vector<uint32_t> handed_out;
    auto note = [&](uint32_t uid) {
        if (!handed_out.empty()) {
            EXPECT_GT(uid, handed_out.back());
        }
        handed_out.push_back(uid);
    };
    for (int round = 0; round < 5; ++round) {
        note(store->mailboxes().append_message(kUser, "Box", "Subject: r\r\n\r\nr", 0, 0).value().uid);
        deliver();
        auto copied = store->mailboxes().copy_messages(kUser, "INBOX", {uids("INBOX").back()}, "Box").value();
        for (const auto& [from, to] : copied.uids) note(to);
        auto moved = store->mailboxes().move_messages(kUser, "INBOX", uids("INBOX"), "Box").value();
        for (const auto& [from, to] : moved.uids) note(to);
        // Drop the newest: its UID must not come back.
        ASSERT_EQ(store->mailboxes().expunge(kUser, "Box", {handed_out.back()}).value().size(), 1u);
    }
    const Uids left = uids("Box");
    EXPECT_EQ(left.size(), handed_out.size() - 5);
    EXPECT_EQ(info("Box").uidnext, handed_out.back() + 1);
    expect_counters_exact("Box");
}

// set_flags and expunge from a protocol thread while the commit thread
// delivers into the same INBOX: no lost update in either direction.
TEST_F(MailboxMessagesTest, ConcurrentFlagsAndExpungeWhileDelivering) {
    constexpr int kDeliveries = 300;
    std::atomic<bool> done{false};
    std::atomic<int> delivered{0};
    std::thread deliverer([&] {
        for (int i = 0; i < kDeliveries; ++i) {
            auto env = make_envelope("bob@example.org", {{kUser, true}});
            if (accept_and_deliver(*store, env, "Subject: c" + std::to_string(i) + "\r\n\r\nbody").ok())
                delivered.fetch_add(1);
        }
        done = true;
    });
    uint64_t expunged = 0;
    bool failed = false;
    int rounds = 0;
    while (!failed && (!done || rounds < 3)) {
        ++rounds;
        auto listing = store->mailboxes().list_messages(kUser, "INBOX");
        if (!listing.ok()) {
            failed = true;
            break;
        }
        std::vector<std::pair<uint32_t, uint32_t>> flags;
        std::vector<uint32_t> doomed;
        for (const auto& m : listing->messages) {
            if (m.uid % 3 == 0) doomed.push_back(m.uid);
            flags.emplace_back(m.uid, m.uid % 2 ? kFlagSeen : kFlagFlagged);
        }
        failed = !store->mailboxes().set_flags(kUser, "INBOX", flags).ok();
        auto removed = store->mailboxes().expunge(kUser, "INBOX", doomed);
        failed = failed || !removed.ok();
        if (removed.ok()) expunged += removed->size();
    }
    deliverer.join();
    ASSERT_FALSE(failed);
    EXPECT_EQ(delivered.load(), kDeliveries);
    expect_counters_exact("INBOX");
    MailboxInfo box = info("INBOX");
    EXPECT_EQ(box.messages + expunged, static_cast<uint64_t>(kDeliveries));
    EXPECT_EQ(box.uidnext, static_cast<uint32_t>(kDeliveries + 1));
    EXPECT_EQ(count(keys::kBodies), box.messages);  // expunged bodies went with their last reference
}

// The MIME summary is computed when an entry is created (local delivery,
// APPEND) over prefix + body, and copied with the entry.
TEST_F(MailboxMessagesTest, EntriesCarryTheirMimeSummary) {
    const std::string multipart =
        "From: Bob <bob@example.org>\r\n"
        "Subject: parts\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
        "\r\n"
        "--b1\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "hello\r\n"
        "--b1\r\n"
        "Content-Type: application/octet-stream\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "AAEC\r\n"
        "--b1--\r\n";
    deliver(multipart);
    MessageRecord delivered = record("INBOX", 1);
    ASSERT_FALSE(delivered.summary.empty());
    auto summary = mail::decode_summary(delivered.summary);
    ASSERT_TRUE(summary.ok()) << summary.error().message;
    ASSERT_FALSE(summary->bodystructure.empty());
    EXPECT_EQ(summary->bodystructure.front(), '(');
    EXPECT_NE(summary->envelope.find("\"parts\""), std::string::npos) << summary->envelope;
    EXPECT_EQ(summary->root.parts.size(), 2u);
    // Offsets refer to the message as the user sees it: prefix + body.
    EXPECT_EQ(summary->root.header_offset, 0u);
    EXPECT_EQ(summary->root.body_offset, kPrefix.size() + multipart.find("\r\n\r\n") + 4);

    auto appended = store->mailboxes().append_message(kUser, "Drafts", "Subject: plain\r\n\r\njust text\r\n", 0, 0);
    ASSERT_TRUE(appended.ok());
    auto plain = mail::decode_summary(record("Drafts", appended->uid).summary);
    ASSERT_TRUE(plain.ok()) << plain.error().message;
    EXPECT_EQ(plain->bodystructure.front(), '(');
    EXPECT_NE(plain->envelope.find("\"plain\""), std::string::npos) << plain->envelope;

    ASSERT_TRUE(store->mailboxes().move_messages(kUser, "INBOX", {1}, "Trash").ok());
    EXPECT_EQ(record("Trash", 1).summary, delivered.summary);

    // A record from before summaries existed gets one computed on reading.
    MessageRecord old = record("Trash", 1);
    old.summary.clear();
    ASSERT_TRUE(
        test_hooks::raw_put(*store, keys::kMessages, keys::message_key(kUser, "Trash", 1), encode_message(old)).ok());
    EXPECT_EQ(record("Trash", 1).summary, delivered.summary);
}

// The commit thread creates a missing INBOX (a recipient without an account,
// or one created before default mailboxes existed) with a UIDVALIDITY from
// the same counter, persisted in the same batch.
TEST_F(MailboxMessagesTest, LocalDeliveryCreatesAMissingInbox) {
    const uint32_t before = store->mailboxes().create_mailbox(kUser, "Probe").value().uidvalidity;
    auto env = make_envelope("bob@example.org", {{"ghost@localhost", true}});
    ASSERT_TRUE(accept_and_deliver(*store, env, kMessage).ok());
    auto env2 = make_envelope("bob@example.org", {{"ghost@localhost", true}});
    ASSERT_TRUE(accept_and_deliver(*store, env2, kMessage).ok());

    auto inbox = store->mailboxes().mailbox_info("ghost@localhost", "INBOX").value();
    ASSERT_TRUE(inbox.has_value());
    EXPECT_GT(inbox->uidvalidity, before);
    EXPECT_TRUE(inbox->subscribed);
    EXPECT_EQ(inbox->uidnext, 3u);
    EXPECT_EQ(inbox->messages, 2u);
    EXPECT_EQ(inbox->unseen, 2u);
    auto raw = test_hooks::raw_get(*store, "default", keys::kUidValidityLast);
    ASSERT_TRUE(raw.ok() && raw->has_value());
    EXPECT_EQ(decode_refcount(**raw).value(), inbox->uidvalidity);
    auto listing = store->mailboxes().list_messages("ghost@localhost", "INBOX");
    ASSERT_TRUE(listing.ok());
    ASSERT_EQ(listing->messages.size(), 2u);
    EXPECT_EQ(listing->info.bytes, listing->messages[0].size + listing->messages[1].size);
    EXPECT_EQ(store->mailboxes().list_mailboxes("ghost@localhost").value().size(), 1u);  // only INBOX
}

// Keywords are bits of the flag word indexed by the mailbox's table: defined
// on first use (case-insensitive), durable, carried over by name on
// COPY/MOVE into a mailbox whose table differs, and bounded.
TEST_F(MailboxMessagesTest, KeywordsAreDefinedPerMailboxAndCarriedByName) {
    deliver();
    auto bits = store->mailboxes().keyword_flags(kUser, "INBOX", {"$Forwarded", "$Junk"}, true);
    ASSERT_TRUE(bits.ok()) << bits.error().message;
    EXPECT_EQ(*bits, (1u << kFirstKeywordBit) | (1u << (kFirstKeywordBit + 1)));
    EXPECT_EQ(store->mailboxes().keyword_flags(kUser, "INBOX", {"$junk"}, false).value(), 1u << (kFirstKeywordBit + 1));
    EXPECT_EQ(store->mailboxes().keyword_flags(kUser, "INBOX", {"$Unknown"}, false).value(), 0u);
    EXPECT_EQ(store->mailboxes().mailbox_info(kUser, "INBOX").value()->keywords,
              (std::vector<std::string>{"$Forwarded", "$Junk"}));
    ASSERT_TRUE(store->mailboxes().change_flags(kUser, "INBOX", {1}, kFlagSeen | (1u << (kFirstKeywordBit + 1)), 0).ok());

    // Archive's table starts with another keyword: $Junk lands on its bit 1 there.
    ASSERT_TRUE(store->mailboxes().create_mailbox(kUser, "Archive").ok());
    ASSERT_TRUE(store->mailboxes().keyword_flags(kUser, "Archive", {"Work"}, true).ok());
    auto copied = store->mailboxes().copy_messages(kUser, "INBOX", {1}, "Archive");
    ASSERT_TRUE(copied.ok()) << copied.error().message;
    auto archive = store->mailboxes().list_messages(kUser, "Archive").value();
    EXPECT_EQ(archive.info.keywords, (std::vector<std::string>{"Work", "$Junk"}));
    ASSERT_EQ(archive.messages.size(), 1u);
    EXPECT_EQ(archive.messages[0].flags, kFlagSeen | (1u << (kFirstKeywordBit + 1)));

    // The table survives a reopen.
    store.reset();
    store = open_store(dir.db());
    ASSERT_TRUE(store);
    EXPECT_EQ(store->mailboxes().mailbox_info(kUser, "Archive").value()->keywords,
              (std::vector<std::string>{"Work", "$Junk"}));

    // Full: no partial definition, kTooManyKeywords.
    std::vector<std::string> many;
    for (size_t i = 0; i < kMaxKeywords; ++i) many.push_back("k" + std::to_string(i));
    auto full = store->mailboxes().keyword_flags(kUser, "INBOX", many, true);
    ASSERT_FALSE(full.ok());
    EXPECT_EQ(full.error().code, kTooManyKeywords);
    EXPECT_EQ(store->mailboxes().mailbox_info(kUser, "INBOX").value()->keywords.size(), 2u);
    EXPECT_EQ(store->mailboxes().keyword_flags(kUser, "Nope", {"x"}, true).error().code, kNoSuchMailbox);
}
