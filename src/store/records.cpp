// Value encodings; format described in records.hpp and docs/STORAGE.md.
#include "store/records.hpp"

#include "store/record_codec.hpp"

namespace ringpost::store {
namespace {

Error corrupt(const char* what) { return make_error(std::string("corrupt ") + what + " record"); }

// Checks the version byte; returns false (and marks nothing) if unknown.
bool version_ok(Reader& r) { return r.u8() == kRecordVersion && r.ok(); }

enum RecipientBits : uint8_t { kRcptLocal = 1 };

}  // namespace

std::string encode_envelope(const mail::Envelope& e) {
    Writer w;
    w.u8(kRecordVersion);
    w.str(e.queue_id);
    w.str(e.sender);
    w.varint(e.recipients.size());
    for (const auto& r : e.recipients) {
        w.str(r.address);
        w.str(r.orcpt);
        w.u8(r.notify);
        w.u8(r.local ? kRcptLocal : 0);
        w.u8(static_cast<uint8_t>(r.state));
        w.varint(r.attempts);
        w.str(r.last_reply);
    }
    w.str(e.envid);
    w.u8(static_cast<uint8_t>(e.ret));
    w.u8(static_cast<uint8_t>(e.body_type));
    w.u8(e.smtputf8 ? 1 : 0);
    w.str(e.helo);
    w.str(e.client_ip);
    w.str(e.protocol);
    w.svarint(e.received_at);
    w.svarint(e.next_attempt);
    w.varint(e.body_size);
    // Appended later (records ignore trailing bytes, so older readers skip them).
    w.u8(e.delay_warned ? 1 : 0);
    w.svarint(e.last_attempt);
    w.str(e.pool);
    w.u8(static_cast<uint8_t>(e.local_folder));
    w.u8(e.held ? 1 : 0);
    w.str(e.hold_reason);
    w.str(e.hold_milter);
    return w.take();
}

Result<mail::Envelope> decode_envelope(std::string_view data) {
    Reader r(data);
    if (!version_ok(r)) return corrupt("envelope (unknown version)");
    mail::Envelope e;
    e.queue_id = r.str();
    e.sender = r.str();
    uint64_t n = r.varint();
    // Each recipient takes at least 7 bytes: refuse counts the data cannot hold
    // before reserving memory for them.
    if (!r.ok() || n > data.size() / 7) return corrupt("envelope");
    e.recipients.resize(n);
    for (auto& rc : e.recipients) {
        rc.address = r.str();
        rc.orcpt = r.str();
        rc.notify = r.u8();
        rc.local = (r.u8() & kRcptLocal) != 0;
        rc.state = r.enum8<mail::RcptState>(static_cast<uint8_t>(mail::RcptState::kDeferred));
        rc.attempts = r.u32();
        rc.last_reply = r.str();
    }
    e.envid = r.str();
    e.ret = r.enum8<mail::DsnRet>(static_cast<uint8_t>(mail::DsnRet::kHeaders));
    e.body_type = r.enum8<mail::BodyType>(static_cast<uint8_t>(mail::BodyType::kBinaryMime));
    e.smtputf8 = r.u8() != 0;
    e.helo = r.str();
    e.client_ip = r.str();
    e.protocol = r.str();
    e.received_at = r.svarint();
    e.next_attempt = r.svarint();
    e.body_size = r.varint();
    // Records written before these fields existed end here: keep the defaults.
    // Otherwise both must be there (a record cut between them is damaged).
    if (r.ok() && !r.at_end()) {
        e.delay_warned = r.u8() != 0;
        e.last_attempt = r.svarint();
    }
    // Appended after those: absent = the default pool.
    if (r.ok() && !r.at_end()) e.pool = r.str();
    // Appended after the pool: absent = the INBOX.
    if (r.ok() && !r.at_end())
        e.local_folder = r.enum8<mail::LocalFolder>(static_cast<uint8_t>(mail::LocalFolder::kJunk));
    // Appended after the folder: absent = not held. The three come together.
    if (r.ok() && !r.at_end()) {
        e.held = r.u8() != 0;
        e.hold_reason = r.str();
        e.hold_milter = r.str();
    }
    if (!r.ok()) return corrupt("envelope");
    return e;
}

std::string encode_mailbox_meta(const MailboxMeta& m) {
    Writer w;
    w.u8(kRecordVersion);
    w.varint(m.uidvalidity);
    w.varint(m.uidnext);
    w.varint(m.messages);
    w.varint(m.bytes);
    // Appended later (see records.hpp).
    w.varint(m.unseen);
    w.u8(m.subscribed ? 1 : 0);
    w.str(m.special_use);
    w.varint(m.keywords.size());
    for (const auto& k : m.keywords) w.str(k);
    w.varint(m.recent_floor);
    return w.take();
}

Result<MailboxMeta> decode_mailbox_meta(std::string_view data) {
    Reader r(data);
    if (!version_ok(r)) return corrupt("mailbox (unknown version)");
    MailboxMeta m;
    m.uidvalidity = r.u32();
    m.uidnext = r.u32();
    m.messages = r.varint();
    m.bytes = r.varint();
    // Written before the later fields existed: no flag could be set then,
    // so every message is unseen. Otherwise all three must be there.
    m.unseen = m.messages;
    if (r.ok() && !r.at_end()) {
        m.unseen = r.varint();
        m.subscribed = r.u8() != 0;
        m.special_use = r.str();
    }
    if (r.ok() && !r.at_end()) {
        uint64_t n = r.varint();
        if (n > 64) return corrupt("mailbox (keyword table)");
        for (uint64_t i = 0; i < n && r.ok(); ++i) m.keywords.push_back(r.str());
    }
    m.recent_floor = m.uidnext > 0 ? m.uidnext - 1 : 0;
    if (r.ok() && !r.at_end()) m.recent_floor = r.u32();
    if (!r.ok()) return corrupt("mailbox");
    return m;
}

std::string encode_message(const MessageRecord& m) {
    Writer w;
    w.u8(kRecordVersion);
    w.str(m.queue_id);
    w.str(m.prefix);
    w.varint(m.size);
    w.svarint(m.internal_date);
    w.varint(m.flags);
    w.str(m.subject);
    w.str(m.summary);  // appended later
    return w.take();
}

Result<MessageRecord> decode_message(std::string_view data) {
    Reader r(data);
    if (!version_ok(r)) return corrupt("message (unknown version)");
    MessageRecord m;
    m.queue_id = r.str();
    m.prefix = r.str();
    m.size = r.varint();
    m.internal_date = r.svarint();
    m.flags = r.u32();
    m.subject = r.str();
    if (r.ok() && !r.at_end()) m.summary = r.str();  // absent in older records
    if (!r.ok()) return corrupt("message");
    return m;
}

Result<MessageHead> decode_message_head(std::string_view data) {
    Reader r(data);
    if (!version_ok(r)) return corrupt("message (unknown version)");
    MessageHead m;
    r.view();  // queue_id
    r.view();  // prefix
    m.size = r.varint();
    m.internal_date = r.svarint();
    m.flags = r.u32();
    if (!r.ok()) return corrupt("message");
    return m;
}

std::string encode_user(const UserValue& u) {
    Writer w;
    w.u8(kRecordVersion);
    w.str(u.password_hash);
    w.svarint(u.created);
    return w.take();
}

Result<UserValue> decode_user(std::string_view data) {
    Reader r(data);
    if (!version_ok(r)) return corrupt("user (unknown version)");
    UserValue u;
    u.password_hash = r.str();
    u.created = r.svarint();
    if (!r.ok()) return corrupt("user");
    return u;
}

std::string encode_refcount(uint64_t count) {
    Writer w;
    w.varint(count);
    return w.take();
}

Result<uint64_t> decode_refcount(std::string_view data) {
    Reader r(data);
    uint64_t n = r.varint();
    if (!r.ok()) return corrupt("body_refs");
    return n;
}

}  // namespace ringpost::store
