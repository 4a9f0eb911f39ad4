// The store's errors (Error::code, category "store"; see
// util/error_category.hpp). The mailbox API returns the first eight for the
// protocol's reply (every other failure -- invalid user name, database
// error -- has no code); the IMAP response code each suggests is in
// brackets. Messages are one line and name the mailbox or message.
//
// Header-only (no RocksDB, no link to the store): the IMAP session's
// Backend reports these, and src/imap does not link src/store.
#pragma once

#include <system_error>

#include "util/error_category.hpp"

namespace ringpost::store {

enum class StoreErrc {
    // The mailbox named does not exist (copy/move/append: the destination):
    // [NONEXISTENT], or [TRYCREATE] for COPY/MOVE/APPEND.
    kNoSuchMailbox = 1,
    // The create/rename target exists (INBOX always does): [ALREADYEXISTS].
    kMailboxExists,
    // delete_mailbox("INBOX"): [CANNOT].
    kCannotDeleteInbox,
    // Not a valid name (keys::valid_mailbox_name), or a rename under itself: [CANNOT].
    kInvalidMailboxName,
    // The destination's UIDs would pass 2^32-2: [LIMIT].
    kUidsExhausted,
    // create_mailbox with an attribute not in kSpecialUses: [USEATTR].
    kBadSpecialUse,
    // The copy/move source is gone (deleted or renamed by another session).
    kNoSuchSourceMailbox,
    // keyword_flags(define) would pass kMaxKeywords in the mailbox: [LIMIT].
    kTooManyKeywords,
    // CommitStage: an OutcomeRequest for a message no longer in the spool
    // (deleted or bounced by the administrator meanwhile); nothing written.
    kOutcomeGone,
    // CommitStage: submitted after stop() (Condition::kShuttingDown).
    kShuttingDown,
    // New mail (an IMAP APPEND) while can_accept() says no: below
    // min_free_space, or the database stopped by a full disk: [OVERQUOTA],
    // as Dovecot answers a full disk.
    kInsufficientStorage,
};
// The enumerators as store::kNoSuchMailbox, ...
using enum StoreErrc;

inline constexpr ErrorInfo kStoreErrors[] = {
    {"no such mailbox"},
    {"mailbox already exists"},
    {"INBOX cannot be deleted"},
    {"invalid mailbox name"},
    {"mailbox has run out of UIDs"},
    {"unsupported special-use attribute"},
    {"source mailbox no longer exists"},
    {"too many keywords in the mailbox"},
    {"message no longer queued"},
    {"store is shutting down", Condition::kShuttingDown},
    {"not enough disk space"},
};

// One object in the program (an inline function's static).
inline const std::error_category& store_category() noexcept {
    static const TableCategory category("store", kStoreErrors);
    return category;
}
inline std::error_code make_error_code(StoreErrc e) noexcept { return {static_cast<int>(e), store_category()}; }

}  // namespace ringpost::store

template <>
struct std::is_error_code_enum<ringpost::store::StoreErrc> : std::true_type {};
