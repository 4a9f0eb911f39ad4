// Value encodings of the store's records (docs/STORAGE.md, "Value encoding").
//
// Every record starts with a version byte (currently 1), followed by fields
// in a fixed order: unsigned integers as LEB128 varints, signed ones zigzag +
// varint, strings as varint length + bytes, enums/bools as one byte. Decoders
// reject unknown versions and truncated input, but ignore trailing bytes, so
// a later version can append fields that old readers skip.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mail/envelope.hpp"
#include "util/result.hpp"

namespace ringpost::store {

inline constexpr uint8_t kRecordVersion = 1;

// mailboxes CF value. The counters always describe the mailbox's message
// records exactly (every writer updates them in the batch that adds or
// removes a record or changes its \Seen flag), so STATUS/SELECT need no scan.
struct MailboxMeta {
    uint32_t uidvalidity = 0;
    uint32_t uidnext = 1;
    uint64_t messages = 0;
    uint64_t bytes = 0;       // sum of the records' size
    // Appended later; a record that ends after `bytes` decodes with
    // unseen = messages (no flag was ever set before this field existed),
    // subscribed = false, special_use = "".
    uint64_t unseen = 0;      // records without kFlagSeen
    bool subscribed = false;
    std::string special_use;  // RFC 6154 attribute: "\\Sent", "\\Drafts", ... or ""
    // Appended later (absent: none). The mailbox's keyword table: keyword i
    // is flag bit kFirstKeywordBit + i of its messages (mailboxes.hpp).
    std::vector<std::string> keywords;
    // Appended later (absent: uidnext - 1, so mail stored before it existed
    // is not new). The highest UID already handed out as \Recent (RFC 3501
    // 2.3.2): the first IMAP session to see a message above it claims it.
    uint32_t recent_floor = 0;
};

// messages CF value (the user, mailbox and uid are in the key).
struct MessageRecord {
    std::string queue_id;     // bodies CF key (the shared body)
    std::string prefix;       // per-user header lines put before the body
    uint64_t size = 0;        // prefix + body bytes
    int64_t internal_date = 0;
    uint32_t flags = 0;
    std::string subject;
    // Appended later: mail::encode_summary(mail::summarize_message(prefix +
    // body)), computed when the record is created (local delivery, APPEND;
    // COPY/MOVE copy it). Empty for records written before it existed: the
    // reader then computes it from the message.
    std::string summary;
};

// The fixed-size fields of a message record, decoded without copying its
// strings (mailbox listings).
struct MessageHead {
    uint64_t size = 0;
    int64_t internal_date = 0;
    uint32_t flags = 0;
};

// users CF value (the lower-cased address is the key).
struct UserValue {
    std::string password_hash;
    int64_t created = 0;
};

std::string encode_envelope(const mail::Envelope& envelope);
Result<mail::Envelope> decode_envelope(std::string_view data);

std::string encode_mailbox_meta(const MailboxMeta& meta);
Result<MailboxMeta> decode_mailbox_meta(std::string_view data);

std::string encode_message(const MessageRecord& message);
Result<MessageRecord> decode_message(std::string_view data);
Result<MessageHead> decode_message_head(std::string_view data);

std::string encode_user(const UserValue& user);
Result<UserValue> decode_user(std::string_view data);

// body_refs CF value: a bare varint (no version byte; it is only ever a count).
// The same encoding serves the store-wide counters in the default CF.
std::string encode_refcount(uint64_t count);
Result<uint64_t> decode_refcount(std::string_view data);

}  // namespace ringpost::store
