// Helpers shared by the two halves of the mailbox API: mailbox management
// (mailboxes.cpp) and message reads and writes (mailbox_messages.cpp).
// Internal to src/store.
#pragma once

#include <string>
#include <string_view>

#include "store/store_impl.hpp"

namespace ringpost::store {

// The lower-cased user name, or an error (no code) if it cannot be a key.
Result<std::string> mailbox_user(std::string_view user);
// kInvalidMailboxName unless keys::valid_mailbox_name(name).
Result<void> check_mailbox_name(std::string_view name);

// Errors with the codes of store_error.hpp, naming the mailbox.
Error no_such_mailbox(std::string_view name, StoreErrc code = kNoSuchMailbox);
Error mailbox_exists(std::string_view name);

// The info of a mailbox, its `recent` count left at 0 (count_recent).
MailboxInfo to_mailbox_info(std::string_view name, const MailboxMeta& meta);
// How many of the mailbox's messages lie above its recent floor (\Recent).
Result<uint64_t> count_recent(const StoreImpl& impl, const std::string& user, std::string_view name,
                              const MailboxMeta& meta);

// Adds the deletion of every message record under `prefix` (a mailbox's or
// a user's) and of their body references to the batch; returns how many.
// Reads first: on an error nothing was added.
Result<uint64_t> delete_message_records(WriteTxn& txn, const std::string& prefix);

// The counters' share of one message record.
inline void count_message(MailboxMeta& meta, uint64_t size, uint32_t flags) {
    meta.messages += 1;
    meta.bytes += size;
    if (!(flags & kFlagSeen)) meta.unseen += 1;
}
// Removes a message's share; counters never go below 0 (a damaged meta
// heals at 0 rather than wrapping around).
inline void uncount_message(MailboxMeta& meta, uint64_t size, uint32_t flags) {
    meta.messages -= meta.messages > 0 ? 1 : 0;
    meta.bytes -= meta.bytes >= size ? size : meta.bytes;
    if (!(flags & kFlagSeen)) meta.unseen -= meta.unseen > 0 ? 1 : 0;
}

// Keyword bits (mailboxes.hpp, kFirstKeywordBit) against a keyword table.
// keyword_bits: the bits of `names`; with define, adds the missing ones to
// `table` and returns false (adding nothing) if that would pass kMaxKeywords.
bool keyword_bits(std::vector<std::string>& table, const std::vector<std::string>& names, bool define,
                  uint32_t& bits);
// `flags` of a message in a mailbox with keyword table `from`, as flags of
// the mailbox with table `to` (COPY/MOVE): keywords carried over by name,
// added to `to` as needed; one that no longer fits is dropped.
uint32_t carry_keywords(uint32_t flags, const std::vector<std::string>& from, std::vector<std::string>& to);

}  // namespace ringpost::store
