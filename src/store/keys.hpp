// Key encoding for every column family of the store (layout: docs/STORAGE.md).
// Kept apart from the RocksDB code so it can be unit-tested on its own and so
// the delivery engine / POP3 / IMAP code inside src/store share one definition.
//
// Rules: integers that must sort are fixed-width big-endian; variable-length
// parts (user, mailbox) are terminated by a NUL byte, which neither addresses
// nor mailbox names may contain (checked where they enter the store).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ringpost::store::keys {

// Column family names.
inline constexpr const char* kBodies = "bodies";
inline constexpr const char* kBodyRefs = "body_refs";
inline constexpr const char* kEnvelopes = "envelopes";
inline constexpr const char* kSchedule = "schedule";
inline constexpr const char* kMailboxes = "mailboxes";
inline constexpr const char* kMessages = "messages";
inline constexpr const char* kUsers = "users";
inline constexpr const char* kEvents = "events";

inline constexpr std::string_view kInbox = "INBOX";
// The junk mailbox made for a user (a default mailbox; local delivery of
// mail marked junk creates it if the user has none).
inline constexpr std::string_view kJunk = "Junk";
// The mailbox hierarchy delimiter (IMAP LIST's "/").
inline constexpr char kHierarchyDelimiter = '/';

// default CF: the last UIDVALIDITY handed out by this store (bare varint),
// so a mailbox created again under an old name gets a greater one.
inline constexpr std::string_view kUidValidityLast = "uidvalidity_last";

void put_be64(std::string& out, uint64_t v);
void put_be32(std::string& out, uint32_t v);
uint64_t get_be64(std::string_view in);  // in.size() >= 8
uint32_t get_be32(std::string_view in);  // in.size() >= 4

// ASCII lower-casing of an address: the users CF key and the local user name.
// Non-ASCII bytes (SMTPUTF8 local parts) are kept as they are.
std::string lower_address(std::string_view address);

// True if `name` can be a NUL-terminated key component (non-empty, no NUL).
bool valid_component(std::string_view name);

// True if `name` can name a mailbox: a valid component that neither starts
// nor ends with the hierarchy delimiter, has no empty level ("a//b") and no
// CR or LF. "INBOX" is spelled exactly so (callers normalise its case).
bool valid_mailbox_name(std::string_view name);

// schedule: be64(next_attempt) + queue_id. Negative times sort as 0.
std::string schedule_key(int64_t next_attempt, std::string_view queue_id);
struct ScheduleKey {
    uint64_t next_attempt = 0;
    std::string queue_id;
};
std::optional<ScheduleKey> parse_schedule_key(std::string_view key);

// default CF: "suspension" \0 target -- a delivery suspension (`queue
// suspend`): be64(until, 0 = until resumed) be64(since) reason.
std::string suspension_key(std::string_view target);
inline constexpr std::string_view kSuspensionPrefix{"suspension\0", 11};

// default CF: "greylist" \0 key -- a greylisting record
// (greylist_records.hpp): be64(first ms) be64(last ms) be32(count) u8(flags).
inline constexpr std::string_view kGreylistPrefix{"greylist\0", 9};

// default CF: "screen" \0 client address -- a pass of the screening cache
// (screen_records.hpp): be64(DNSBL until, ms) be64(pregreet until, ms) u8(flags).
inline constexpr std::string_view kScreenPrefix{"screen\0", 7};

// events: be64(sequence id) -> be64(unix ms) + the event's binary record
// (event_record.hpp; logs of older versions: its JSON line).
std::string event_key(uint64_t id);
// default CF: "event_cursor" \0 sink -> be64(id of the last event it took).
std::string event_cursor_key(std::string_view sink);
inline constexpr std::string_view kEventCursorPrefix{"event_cursor\0", 13};

// mailboxes: user \0 mailbox
std::string mailbox_key(std::string_view user, std::string_view mailbox);
// Prefix of all of a user's keys in mailboxes and messages: user \0
std::string user_prefix(std::string_view user);

// default CF: "subscribed" \0 user \0 mailbox (empty value) -- a
// subscription whose mailbox does not exist (any more): RFC 3501 6.3.6,
// DELETE leaves the subscription. A subscription of an existing mailbox is
// its meta's `subscribed` instead.
std::string orphan_subscription_key(std::string_view user, std::string_view mailbox);
std::string orphan_subscription_prefix(std::string_view user);

// messages: user \0 mailbox \0 be32(uid)
std::string message_key(std::string_view user, std::string_view mailbox, uint32_t uid);
// Prefix of every message key of one mailbox: user \0 mailbox \0
std::string message_prefix(std::string_view user, std::string_view mailbox);
struct MessageKey {
    std::string user;
    std::string mailbox;
    uint32_t uid = 0;
};
std::optional<MessageKey> parse_message_key(std::string_view key);

// The smallest key greater than every key starting with `prefix` (an
// exclusive iterator upper bound). Empty if there is none (all 0xff).
std::string prefix_successor(std::string_view prefix);

}  // namespace ringpost::store::keys
