// The mailboxes concern of the store (Store::mailboxes()): the mailbox API
// of POP3 and IMAP -- mailbox management, message listings, reads, flag
// changes, expunge, copy/move, append -- and the CLI's mailbox reads.
//
// Blocking, called from the protocol servers' small thread pool and the
// CLI, never from a ring thread. Every write is one request of the commit
// stage, whose thread is the store's only writer: its read-modify-write
// runs there against the database plus the batch being built, joins that
// batch's ONE synced write, and the call returns once it is durable (and
// atomic); it never interleaves with another write or a local delivery.
// Reads take no lock; the ones that read more than one key read through one
// snapshot.
//
// Method names keep their nouns (create_mailbox, copy_messages, ...): this
// API acts on two kinds of thing, mailboxes and the messages in them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/records.hpp"
#include "store/store_error.hpp"
#include "util/result.hpp"

namespace ringpost::store {

struct StoreImpl;

// One message in a user's mailbox (the store side of POP3/IMAP).
struct MailboxMessage {
    std::string user;
    std::string mailbox;        // "INBOX", ...
    uint32_t uid = 0;
    std::string id;             // stable printable ID: the queue ID + "." + the UID in this mailbox
    std::string queue_id;       // body reference
    uint64_t size = 0;          // bytes as the user sees them (prefix + body)
    int64_t internal_date = 0;  // unix seconds
    uint32_t flags = 0;         // MessageFlags bits
    std::string subject;        // decoded only as far as the raw header (for listings)
};

enum MessageFlags : uint32_t {
    kFlagSeen = 1, kFlagAnswered = 2, kFlagFlagged = 4, kFlagDeleted = 8, kFlagDraft = 16,
};
// Bits kFirstKeywordBit.. of a message's flags are keywords (IMAP custom
// flags such as $Forwarded or $Junk): bit kFirstKeywordBit + i is keyword i
// of its mailbox's table (MailboxInfo::keywords), so a flag word stays one
// integer and STORE stays one read-modify-write. COPY/MOVE carry keywords
// over by name. A mailbox holds at most kMaxKeywords distinct keywords, as
// in Dovecot's Maildir (26).
inline constexpr uint32_t kFirstKeywordBit = 5;
inline constexpr size_t kMaxKeywords = 32 - kFirstKeywordBit;
inline constexpr uint32_t kSystemFlags = (1u << kFirstKeywordBit) - 1;

// The mailbox API's errors (kNoSuchMailbox, ...): store_error.hpp.

// The SPECIAL-USE attributes (RFC 6154) a mailbox may carry here.
inline constexpr std::string_view kSpecialUses[] = {"\\Archive", "\\Drafts", "\\Junk", "\\Sent", "\\Trash"};
inline constexpr std::string_view kJunkUse = "\\Junk";

// One of a user's mailboxes with its counters (LIST, STATUS, SELECT).
struct MailboxInfo {
    std::string name;            // "INBOX", "Sent", "Projects/2024", ...
    uint32_t uidvalidity = 0;
    uint32_t uidnext = 1;
    uint64_t messages = 0;
    uint64_t unseen = 0;         // messages without kFlagSeen
    uint64_t bytes = 0;          // sum of the messages' sizes
    bool subscribed = false;
    std::string special_use;     // one of kSpecialUses, or ""
    std::vector<std::string> keywords;   // the keyword table (see kFirstKeywordBit)
    // \Recent (RFC 3501 2.3.2): UIDs up to recent_floor have been handed out
    // to an IMAP session (claim_recent); `recent` messages lie above it.
    uint32_t recent_floor = 0;
    uint64_t recent = 0;
};

// One message in a mailbox listing: what SELECT, FETCH FLAGS/RFC822.SIZE/
// INTERNALDATE and POP3 LIST/STAT need, without subject or summary.
struct MessageEntry {
    uint32_t uid = 0;
    uint32_t flags = 0;          // MessageFlags bits
    uint64_t size = 0;           // prefix + body bytes
    int64_t internal_date = 0;   // unix seconds
};

// A mailbox and its messages as of one moment (one database snapshot): the
// counters in `info` match `messages` exactly.
struct MailboxContents {
    MailboxInfo info;
    std::vector<MessageEntry> messages;  // ascending UID
};

// COPYUID / MOVE: the destination's UIDVALIDITY and (source UID,
// destination UID) per message copied, in ascending source UID order.
struct CopyResult {
    uint32_t uidvalidity = 0;
    std::vector<std::pair<uint32_t, uint32_t>> uids;
};

// APPENDUID.
struct AppendResult {
    uint32_t uidvalidity = 0;
    uint32_t uid = 0;
};

class Mailboxes {
public:
    Mailboxes(const Mailboxes&) = delete;
    Mailboxes& operator=(const Mailboxes&) = delete;

    // --- the CLI's reads ---
    // Every message of a mailbox with its subject (CLI listings).
    Result<std::vector<MailboxMessage>> list_mailbox(std::string_view user, std::string_view mailbox = "INBOX");
    // The stored message as the user sees it (Return-Path/Delivered-To prefix + body), by MailboxMessage::id.
    Result<std::optional<std::string>> get_mailbox_message(std::string_view user, std::string_view id);

    // --- the mailbox API of POP3 and IMAP ---
    // `user` is the address (lower-cased here). Mailbox names are UTF-8
    // with "/" as the hierarchy delimiter; "INBOX" must come spelled so
    // (callers normalise its case). Errors carry the codes of store_error.hpp.
    //
    // INBOX comes into being on the first local delivery, APPEND, COPY or
    // MOVE into it, or through ensure_default_mailboxes (Users::add calls it;
    // call it at login for users created before it existed); every other
    // mailbox through create_mailbox.

    // All of the user's mailboxes, in name (byte) order.
    Result<std::vector<MailboxInfo>> list_mailboxes(std::string_view user);
    // One mailbox; nullopt if it does not exist.
    Result<std::optional<MailboxInfo>> mailbox_info(std::string_view user, std::string_view name);
    // Creates an empty, unsubscribed mailbox. Its UIDVALIDITY is greater
    // than any this store has handed out before (time-based, bumped past the
    // last one), so a name deleted and created again never repeats one.
    // kMailboxExists, kInvalidMailboxName, kBadSpecialUse (special_use must
    // be "" or one of kSpecialUses, matched case-insensitively and stored as
    // spelled there). Parents are not created.
    Result<MailboxInfo> create_mailbox(std::string_view user, std::string_view name,
                                       std::string_view special_use = "");
    // Removes the mailbox and its messages (their body references dropped;
    // bodies nobody refers to any more are deleted). Children ("name/...")
    // stay, and so does a subscription (RFC 3501 6.3.6). kCannotDeleteInbox,
    // kNoSuchMailbox.
    Result<void> delete_mailbox(std::string_view user, std::string_view name);
    // Renames `from` and every child "from/..." to "to/..." with their
    // messages, keeping UIDs, UIDVALIDITY, counters, subscription and
    // special use. Renaming INBOX moves its messages into `to` and leaves an
    // empty INBOX with a new UIDVALIDITY; INBOX's children stay where they
    // are (RFC 3501 6.3.5). kNoSuchMailbox (from), kMailboxExists (to or one
    // of the new child names exists; to = INBOX), kInvalidMailboxName (also:
    // `to` under `from`).
    Result<void> rename_mailbox(std::string_view user, std::string_view from, std::string_view to);
    // SUBSCRIBE / UNSUBSCRIBE. A name without a mailbox may be subscribed
    // (RFC 3501 6.3.6: DELETE keeps the subscription, too) and unsubscribed
    // again; such subscriptions are kept apart (list_orphan_subscriptions)
    // and given to a mailbox created under the name. kNoSuchMailbox:
    // unsubscribing a name that is neither a mailbox nor subscribed.
    Result<void> set_subscribed(std::string_view user, std::string_view name, bool subscribed);
    // The subscribed names that have no mailbox, in byte order.
    Result<std::vector<std::string>> list_orphan_subscriptions(std::string_view user);
    // Creates whichever of INBOX, Sent, Drafts, Trash, Junk is missing (the
    // last four with their SPECIAL-USE attribute), all subscribed; existing
    // mailboxes are left as they are. Returns how many were created.
    Result<size_t> ensure_default_mailboxes(std::string_view user);

    // The mailbox's counters and messages from one snapshot. kNoSuchMailbox.
    Result<MailboxContents> list_messages(std::string_view user, std::string_view mailbox);
    // One message record, with its summary (computed from the message if
    // the record predates summaries); nullopt if there is no such UID.
    Result<std::optional<MessageRecord>> get_message_record(std::string_view user, std::string_view mailbox,
                                                            uint32_t uid);
    // The whole message (prefix + body); nullopt if there is no such UID.
    Result<std::optional<std::string>> read_message(std::string_view user, std::string_view mailbox, uint32_t uid);
    // Bytes [offset, offset + length) of the message (prefix + body), cut at
    // its end (empty past it): BODY[]<partial>, POP3 TOP. nullopt if there
    // is no such UID.
    Result<std::optional<std::string>> read_message_range(std::string_view user, std::string_view mailbox,
                                                          uint32_t uid, uint64_t offset, uint64_t length);

    // Sets each listed message's flags to the given value (absolute: STORE
    // FLAGS, POP3 marking). Unknown UIDs are ignored; a
    // UID listed twice ends with its last value. Returns (uid, flags) of the
    // messages whose flags changed, in ascending UID order. kNoSuchMailbox.
    Result<std::vector<std::pair<uint32_t, uint32_t>>> set_flags(
        std::string_view user, std::string_view mailbox, const std::vector<std::pair<uint32_t, uint32_t>>& flags);
    // STORE +FLAGS / -FLAGS without a read-modify-write race against other
    // sessions: each listed message's flags become (flags | add) & ~remove,
    // computed on the commit thread from the flags as the batch leaves
    // them. Otherwise as set_flags.
    Result<std::vector<std::pair<uint32_t, uint32_t>>> change_flags(std::string_view user, std::string_view mailbox,
                                                                    const std::vector<uint32_t>& uids, uint32_t add,
                                                                    uint32_t remove);
    // The flag bits of keywords `names` in the mailbox (matched without
    // regard to case). With define, names not yet in its table are added
    // (one synced write) -- kTooManyKeywords past kMaxKeywords, and nothing
    // is added then; without, unknown names contribute no bit (SEARCH
    // KEYWORD). kNoSuchMailbox.
    Result<uint32_t> keyword_flags(std::string_view user, std::string_view mailbox,
                                   const std::vector<std::string>& names, bool define);
    // Removes the listed messages (only those flagged kFlagDeleted if
    // require_deleted: UID EXPUNGE). Unknown UIDs are ignored; UIDs are
    // never reused (uidnext stays). Returns the UIDs removed, ascending.
    // kNoSuchMailbox.
    Result<std::vector<uint32_t>> expunge(std::string_view user, std::string_view mailbox,
                                          const std::vector<uint32_t>& uids, bool require_deleted = false);
    // Removes every message flagged kFlagDeleted (EXPUNGE, CLOSE). Returns
    // the UIDs removed, ascending. kNoSuchMailbox.
    Result<std::vector<uint32_t>> expunge_deleted(std::string_view user, std::string_view mailbox);
    // \Recent (RFC 3501 2.3.2): makes `upto` (at most uidnext - 1) the
    // mailbox's recent floor if it is higher, and returns the floor before,
    // so that the caller -- the IMAP session that SELECTs the mailbox, or
    // reports new messages in it -- alone gets the UIDs in (returned, upto]
    // as \Recent. Serialised by the commit thread, so two sessions never
    // both get one.
    // kNoSuchMailbox, also when its UIDVALIDITY is no longer `uidvalidity`.
    Result<uint32_t> claim_recent(std::string_view user, std::string_view mailbox, uint32_t uidvalidity,
                                  uint32_t upto);
    // Copies the listed messages (unknown UIDs ignored) to the end of `to`
    // (may be `from`) with their flags, internal date and summary, sharing
    // their bodies. kNoSuchSourceMailbox, kNoSuchMailbox (to; INBOX is
    // created instead), kUidsExhausted.
    Result<CopyResult> copy_messages(std::string_view user, std::string_view from, const std::vector<uint32_t>& uids,
                                     std::string_view to);
    // copy_messages and the expunge of the originals in ONE batch (MOVE).
    Result<CopyResult> move_messages(std::string_view user, std::string_view from, const std::vector<uint32_t>& uids,
                                     std::string_view to);
    // Stores `data` as a new message (its own body, no prefix) with the
    // given flags and internal date (0 = now). kNoSuchMailbox (INBOX is
    // created instead), kUidsExhausted.
    Result<AppendResult> append_message(std::string_view user, std::string_view mailbox, std::string_view data,
                                        uint32_t flags, int64_t internal_date);

private:
    friend class Store;
    explicit Mailboxes(StoreImpl& impl) : impl_(impl) {}
    StoreImpl& impl_;
};

}  // namespace ringpost::store
