// Value encodings: round trips of every field, and rejection of damage.
#include "store/records.hpp"
#include "store/store.hpp"

#include <gtest/gtest.h>

using namespace ringpost;
using namespace ringpost::store;

namespace {

mail::Envelope full_envelope() {
    mail::Envelope e;
    e.queue_id = "018C2B3D4E5F6001";
    e.sender = "bounce+x@example.org";
    mail::Recipient a;
    a.address = "alice@localhost";
    a.local = true;
    a.state = mail::RcptState::kDelivered;
    mail::Recipient b;
    b.address = "bob@remote.example";
    b.orcpt = "rfc822;Bob@Remote.Example";
    b.notify = mail::kNotifyFailure | mail::kNotifyDelay;
    b.state = mail::RcptState::kDeferred;
    b.attempts = 300;  // > one varint byte
    b.last_reply = "451 4.7.1 try later";
    e.recipients = {a, b};
    e.envid = "env-1";
    e.ret = mail::DsnRet::kHeaders;
    e.body_type = mail::BodyType::k8BitMime;
    e.smtputf8 = true;
    e.helo = "mx.example.org";
    e.client_ip = "2001:db8::1";
    e.protocol = "ESMTPS";
    e.received_at = 1700000123;
    e.next_attempt = -1;  // negative survives zigzag
    e.body_size = 1ull << 40;
    e.delay_warned = true;
    e.last_attempt = 1700000999;
    e.pool = "bulk";
    e.local_folder = mail::LocalFolder::kJunk;
    return e;
}

// The bytes the hold fields take when the message is not held: the flag
// and two empty strings. Records written before the hold existed end
// just before them.
constexpr size_t kUnheldBytes = 3;

std::string encode_without_hold(const mail::Envelope& e) {
    std::string data = encode_envelope(e);
    EXPECT_FALSE(e.held);
    EXPECT_EQ(data.substr(data.size() - kUnheldBytes), std::string(kUnheldBytes, '\0'));
    data.resize(data.size() - kUnheldBytes);
    return data;
}

}  // namespace

TEST(Records, EnvelopeRoundTrip) {
    mail::Envelope e = full_envelope();
    auto d = decode_envelope(encode_envelope(e));
    ASSERT_TRUE(d.ok()) << d.error().message;
    const mail::Envelope& g = d.value();
    EXPECT_EQ(g.queue_id, e.queue_id);
    EXPECT_EQ(g.sender, e.sender);
    ASSERT_EQ(g.recipients.size(), 2u);
    EXPECT_EQ(g.recipients[0].address, "alice@localhost");
    EXPECT_TRUE(g.recipients[0].local);
    EXPECT_EQ(g.recipients[0].state, mail::RcptState::kDelivered);
    EXPECT_FALSE(g.recipients[1].local);
    EXPECT_EQ(g.recipients[1].orcpt, e.recipients[1].orcpt);
    EXPECT_EQ(g.recipients[1].notify, e.recipients[1].notify);
    EXPECT_EQ(g.recipients[1].state, mail::RcptState::kDeferred);
    EXPECT_EQ(g.recipients[1].attempts, 300u);
    EXPECT_EQ(g.recipients[1].last_reply, e.recipients[1].last_reply);
    EXPECT_EQ(g.envid, e.envid);
    EXPECT_EQ(g.ret, e.ret);
    EXPECT_EQ(g.body_type, e.body_type);
    EXPECT_TRUE(g.smtputf8);
    EXPECT_EQ(g.helo, e.helo);
    EXPECT_EQ(g.client_ip, e.client_ip);
    EXPECT_EQ(g.protocol, e.protocol);
    EXPECT_EQ(g.received_at, e.received_at);
    EXPECT_EQ(g.next_attempt, -1);
    EXPECT_EQ(g.body_size, e.body_size);
    EXPECT_TRUE(g.delay_warned);
    EXPECT_EQ(g.last_attempt, e.last_attempt);
    EXPECT_EQ(g.pool, "bulk");
    EXPECT_EQ(g.local_folder, mail::LocalFolder::kJunk);

    mail::Envelope fresh = full_envelope();
    fresh.delay_warned = false;
    fresh.last_attempt = 0;
    auto df = decode_envelope(encode_envelope(fresh));
    ASSERT_TRUE(df.ok());
    EXPECT_FALSE(df->delay_warned);
    EXPECT_EQ(df->last_attempt, 0);
}

// The record as written before delay_warned and last_attempt were appended:
// the same bytes without the last two fields (one byte each at their
// defaults). It must still decode, with the defaults.
TEST(Records, EnvelopeWithoutDelayFieldsDecodesToDefaults) {
    mail::Envelope e = full_envelope();
    e.delay_warned = false;
    e.last_attempt = 0;
    e.pool.clear();
    e.local_folder = mail::LocalFolder::kInbox;
    std::string data = encode_without_hold(e);
    ASSERT_EQ(data.substr(data.size() - 2), std::string("\0\0", 2));   // the empty pool, the INBOX
    data.resize(data.size() - 2);
    ASSERT_EQ(data.substr(data.size() - 2), std::string("\0\0", 2));
    std::string old_format = data.substr(0, data.size() - 2);

    auto d = decode_envelope(old_format);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_FALSE(d->delay_warned);
    EXPECT_EQ(d->last_attempt, 0);
    EXPECT_EQ(d->body_size, e.body_size);  // the fields before are intact
    EXPECT_EQ(d->next_attempt, -1);
    EXPECT_EQ(d->pool, "");
    EXPECT_EQ(d->local_folder, mail::LocalFolder::kInbox);
}

// The record as written before the pool was appended: the default pool.
TEST(Records, EnvelopeWithoutPoolDecodesToTheDefaultPool) {
    mail::Envelope e = full_envelope();
    e.pool.clear();
    std::string data = encode_without_hold(e);
    data.resize(data.size() - 2);   // the local folder, the empty pool's length byte
    auto d = decode_envelope(data);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->pool, "");
    EXPECT_EQ(d->last_attempt, e.last_attempt);
    EXPECT_TRUE(d->delay_warned);
    EXPECT_EQ(d->local_folder, mail::LocalFolder::kInbox);
}

// The record as written before the local folder was appended (every
// record spooled before [inbound] dmarc_quarantine existed): the INBOX.
TEST(Records, EnvelopeWithoutLocalFolderDecodesToTheInbox) {
    mail::Envelope e = full_envelope();
    std::string data = encode_without_hold(e);
    ASSERT_EQ(data.back(), static_cast<char>(mail::LocalFolder::kJunk));
    data.pop_back();
    auto d = decode_envelope(data);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->local_folder, mail::LocalFolder::kInbox);
    EXPECT_EQ(d->pool, "bulk");
    // A folder this version does not know is damage, not a silent INBOX.
    data.push_back('\x07');
    EXPECT_FALSE(decode_envelope(data).ok());
}

// A held message keeps its hold, its reason and the milter across the
// record; a record written before the hold existed is not held.
TEST(Records, EnvelopeHoldRoundTripAndOldRecordsAreNotHeld) {
    mail::Envelope e = full_envelope();
    e.held = true;
    e.hold_reason = "Gtube pattern";
    e.hold_milter = "rspamd";
    auto d = decode_envelope(encode_envelope(e));
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_TRUE(d->held);
    EXPECT_EQ(d->hold_reason, "Gtube pattern");
    EXPECT_EQ(d->hold_milter, "rspamd");
    EXPECT_EQ(d->local_folder, mail::LocalFolder::kJunk);   // the field before is intact

    auto old = decode_envelope(encode_without_hold(full_envelope()));
    ASSERT_TRUE(old.ok()) << old.error().message;
    EXPECT_FALSE(old->held);
    EXPECT_EQ(old->hold_reason, "");
    EXPECT_EQ(old->hold_milter, "");
    EXPECT_EQ(old->local_folder, mail::LocalFolder::kJunk);
}

TEST(Records, EnvelopeRejectsDamage) {
    mail::Envelope e = full_envelope();
    e.held = true;
    e.hold_reason = "spam";
    e.hold_milter = "rspamd";
    std::string data = encode_envelope(e);
    const size_t hold_bytes = 1 + 1 + e.hold_reason.size() + 1 + e.hold_milter.size();
    // Where the older format ended: a record cut exactly there is an old
    // record (valid); cut anywhere else it is damaged.
    mail::Envelope old = full_envelope();
    old.delay_warned = false;
    old.last_attempt = 0;
    old.pool.clear();
    const size_t old_end = encode_envelope(old).size() - kUnheldBytes - 4;
    // And where the formats before the pool, the local folder and the hold ended.
    const size_t no_hold_end = data.size() - hold_bytes;
    const size_t no_pool_end = no_hold_end - 2 - e.pool.size();
    const size_t no_folder_end = no_hold_end - 1;
    for (size_t cut = 0; cut < data.size(); ++cut) {
        if (cut == old_end || cut == no_pool_end || cut == no_folder_end || cut == no_hold_end) continue;
        EXPECT_FALSE(decode_envelope(std::string_view(data).substr(0, cut)).ok()) << "cut at " << cut;
    }
    EXPECT_TRUE(decode_envelope(std::string_view(data).substr(0, old_end)).ok());
    EXPECT_TRUE(decode_envelope(std::string_view(data).substr(0, no_pool_end)).ok());
    EXPECT_TRUE(decode_envelope(std::string_view(data).substr(0, no_folder_end)).ok());
    EXPECT_TRUE(decode_envelope(std::string_view(data).substr(0, no_hold_end)).ok());
    std::string wrong_version = data;
    wrong_version[0] = 2;
    EXPECT_FALSE(decode_envelope(wrong_version).ok());
    // Appended fields of a later minor format are skipped.
    EXPECT_TRUE(decode_envelope(data + "future").ok());
}

TEST(Records, MessageMetaUserRefcountRoundTrip) {
    MessageRecord m{"018C2B3D4E5F6001", "Return-Path: <a@b>\r\n", 12345, 1700000000, kFlagSeen | kFlagDeleted, "Hi",
                    std::string("summary\0bytes", 13)};
    auto dm = decode_message(encode_message(m));
    ASSERT_TRUE(dm.ok());
    EXPECT_EQ(dm->queue_id, m.queue_id);
    EXPECT_EQ(dm->prefix, m.prefix);
    EXPECT_EQ(dm->size, m.size);
    EXPECT_EQ(dm->internal_date, m.internal_date);
    EXPECT_EQ(dm->flags, m.flags);
    EXPECT_EQ(dm->subject, m.subject);
    EXPECT_EQ(dm->summary, m.summary);
    auto head = decode_message_head(encode_message(m));
    ASSERT_TRUE(head.ok());
    EXPECT_EQ(head->size, m.size);
    EXPECT_EQ(head->internal_date, m.internal_date);
    EXPECT_EQ(head->flags, m.flags);

    MailboxMeta meta{1700000000, 42, 41, 99999, 7, true, "\\Sent", {"$Forwarded", "$Junk"}, 38};
    auto dmeta = decode_mailbox_meta(encode_mailbox_meta(meta));
    ASSERT_TRUE(dmeta.ok());
    EXPECT_EQ(dmeta->uidvalidity, 1700000000u);
    EXPECT_EQ(dmeta->uidnext, 42u);
    EXPECT_EQ(dmeta->messages, 41u);
    EXPECT_EQ(dmeta->bytes, 99999u);
    EXPECT_EQ(dmeta->unseen, 7u);
    EXPECT_TRUE(dmeta->subscribed);
    EXPECT_EQ(dmeta->special_use, "\\Sent");
    EXPECT_EQ(dmeta->keywords, (std::vector<std::string>{"$Forwarded", "$Junk"}));
    EXPECT_EQ(dmeta->recent_floor, 38u);

    auto du = decode_user(encode_user(UserValue{"$y$j9T$abc", 1690000000}));
    ASSERT_TRUE(du.ok());
    EXPECT_EQ(du->password_hash, "$y$j9T$abc");
    EXPECT_EQ(du->created, 1690000000);

    EXPECT_EQ(decode_refcount(encode_refcount(3)).value(), 3u);
    EXPECT_EQ(decode_refcount(encode_refcount(1ull << 50)).value(), 1ull << 50);
    EXPECT_FALSE(decode_refcount("").ok());
    EXPECT_FALSE(decode_message("").ok());
}

// Records written before the appended fields existed (the v1 layout as it
// was) decode with the documented defaults; a record cut inside the
// appended fields is damaged.
TEST(Records, OldMailboxAndMessageRecordsDecodeWithDefaults) {
    // mailbox meta: version, uidvalidity, uidnext, messages, bytes
    const std::string old_meta{'\x01', '\x05', '\x0a', '\x09', '\x64'};
    auto meta = decode_mailbox_meta(old_meta);
    ASSERT_TRUE(meta.ok());
    EXPECT_EQ(meta->uidvalidity, 5u);
    EXPECT_EQ(meta->uidnext, 10u);
    EXPECT_EQ(meta->messages, 9u);
    EXPECT_EQ(meta->bytes, 100u);
    EXPECT_EQ(meta->unseen, 9u);  // no flag could be set then
    EXPECT_FALSE(meta->subscribed);
    EXPECT_EQ(meta->special_use, "");
    EXPECT_EQ(meta->recent_floor, 9u);  // mail stored before \Recent existed is not new
    EXPECT_FALSE(decode_mailbox_meta(old_meta + '\x03').ok());  // unseen without the rest

    // message: version, queue_id, prefix, size, internal_date, flags, subject
    const std::string old_message =
        std::string{'\x01', '\x02'} + "AB" + std::string{'\x00', '\x05', '\x04', '\x01', '\x02'} + "Hi";
    auto msg = decode_message(old_message);
    ASSERT_TRUE(msg.ok());
    EXPECT_EQ(msg->queue_id, "AB");
    EXPECT_EQ(msg->size, 5u);
    EXPECT_EQ(msg->internal_date, 2);
    EXPECT_EQ(msg->flags, 1u);
    EXPECT_EQ(msg->subject, "Hi");
    EXPECT_EQ(msg->summary, "");
    EXPECT_FALSE(decode_message(old_message + '\x05' + "ab").ok());  // summary cut short
    EXPECT_FALSE(decode_message_head(old_message.substr(0, 6)).ok());
}
