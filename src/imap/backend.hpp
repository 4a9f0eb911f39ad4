// What the IMAP session needs from the mail store: logins, mailboxes,
// message listings, message data, flag changes, expunge, copy/move, append,
// and a way to hear of changes other sessions (and local delivery) make.
// The application implements it over the store (src/server/imap_backend.*);
// the session's tests use an in-memory fake. Every call is made from the
// connection's ring thread; an implementation that blocks (RocksDB,
// password hashing) hands the work to an io::BlockingPool.
//
// Errors (Error::code): the store's mailbox API errors (store::StoreErrc,
// a header-only category: src/imap does not link src/store), which the
// session answers with their response codes; any other layer's -- the
// blocking pool's refusal (io::PoolErrc), a database failure -- is NO
// [UNAVAILABLE].
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/outcome.hpp"
#include "io/task.hpp"
#include "mail/mime.hpp"
#include "store/store_error.hpp"
#include "util/result.hpp"

namespace ringpost::imap {

// The mailbox errors as imap::kNoSuchMailbox, imap::kMailboxExists, ...
using enum store::StoreErrc;

// Stored flags (the store's MessageFlags bits). Bits kFirstKeywordBit and
// up are keywords: bit kFirstKeywordBit + i is MailboxStatus::keywords[i].
enum : uint32_t { kSeen = 1, kAnswered = 2, kFlagged = 4, kDeleted = 8, kDraft = 16 };
inline constexpr uint32_t kFirstKeywordBit = 5;
inline constexpr uint32_t kSystemFlagBits = (1u << kFirstKeywordBit) - 1;

struct MailboxStatus {
    std::string name;   // UTF-8, "/" delimiter, "INBOX"
    uint32_t uidvalidity = 0;
    uint32_t uidnext = 1;
    uint64_t messages = 0;
    uint64_t unseen = 0;
    uint64_t bytes = 0;
    bool subscribed = false;
    // list_mailboxes() only: a subscribed name without a mailbox (RFC 3501
    // 6.3.6: DELETE keeps the subscription); nothing but name and
    // subscribed is set.
    bool nonexistent = false;
    std::string special_use;   // "\Sent", ... or ""
    std::vector<std::string> keywords;   // the keyword table (see kFirstKeywordBit)
    // \Recent (RFC 3501 2.3.2): UIDs up to recent_floor went to some
    // session already; `recent` messages lie above it.
    uint32_t recent_floor = 0;
    uint64_t recent = 0;
};

// keyword_flags(): the bits of the names asked for, and the mailbox's
// keyword table after any definition.
struct KeywordBits {
    uint32_t bits = 0;
    std::vector<std::string> table;
};

struct MessageInfo {
    uint32_t uid = 0;
    uint32_t flags = 0;
    uint64_t size = 0;
    int64_t internal_date = 0;
};

// One consistent listing of a mailbox (ascending UIDs).
struct MailboxSnapshot {
    MailboxStatus status;
    std::vector<MessageInfo> messages;
};

struct MessageContent {
    mail::MessageSummary summary;   // when asked for
    std::string data;               // the whole message, when asked for
};

struct CopyUids {
    uint32_t uidvalidity = 0;
    std::vector<std::pair<uint32_t, uint32_t>> uids;   // (source, destination), ascending source
};

struct AppendUid {
    uint32_t uidvalidity = 0;
    uint32_t uid = 0;
};

// (uid, new flags) of messages whose flags changed.
using FlagChanges = std::vector<std::pair<uint32_t, uint32_t>>;

class Backend {
public:
    virtual ~Backend() = default;

    // Checks the password (delays and failure accounting are the backend's)
    // and prepares the account (default mailboxes).
    virtual io::Task<auth::Outcome> login(std::string user, std::string password, std::string client_ip) = 0;

    // The mailboxes, then the subscribed names without one (nonexistent).
    virtual io::Task<Result<std::vector<MailboxStatus>>> list_mailboxes(std::string user) = 0;
    virtual io::Task<Result<std::optional<MailboxStatus>>> mailbox_status(std::string user, std::string name) = 0;
    virtual io::Task<Result<void>> create_mailbox(std::string user, std::string name, std::string special_use) = 0;
    virtual io::Task<Result<void>> delete_mailbox(std::string user, std::string name) = 0;
    virtual io::Task<Result<void>> rename_mailbox(std::string user, std::string from, std::string to) = 0;
    // A name without a mailbox may be subscribed and unsubscribed too.
    virtual io::Task<Result<void>> subscribe(std::string user, std::string name, bool subscribed) = 0;

    virtual io::Task<Result<MailboxSnapshot>> list_messages(std::string user, std::string mailbox) = 0;
    // \Recent: raises the mailbox's recent floor to `upto` (at most
    // uidnext - 1) and returns the floor before, so that only the caller
    // gets UIDs (returned, upto] as \Recent. kNoSuchMailbox also when the
    // UIDVALIDITY changed. Other sessions are not told.
    virtual io::Task<Result<uint32_t>> claim_recent(std::string user, std::string mailbox, uint32_t uidvalidity,
                                                    uint32_t upto) = 0;
    // nullopt: no such UID (any more).
    virtual io::Task<Result<std::optional<MessageContent>>> read_message(std::string user, std::string mailbox,
                                                                         uint32_t uid, bool summary, bool data) = 0;
    // Bytes [offset, offset + length) of the message, cut at its end: large
    // sections are streamed in such chunks. nullopt: no such UID.
    virtual io::Task<Result<std::optional<std::string>>> read_range(std::string user, std::string mailbox,
                                                                     uint32_t uid, uint64_t offset,
                                                                     uint64_t length) = 0;

    // The bits of keywords `names` in `mailbox` (case-insensitive); with
    // define, names not yet known are added to its table first (durable),
    // or kTooManyKeywords. Without, unknown names give no bit.
    virtual io::Task<Result<KeywordBits>> keyword_flags(std::string user, std::string mailbox,
                                                        std::vector<std::string> names, bool define) = 0;

    // Writes take `origin`, the handle from watch() of the session making
    // them (or null): its own watch is not told of its own change.
    //
    // (flags | add) & ~remove; with replace, flags = add.
    virtual io::Task<Result<FlagChanges>> change_flags(std::string user, std::string mailbox,
                                                       std::vector<uint32_t> uids, uint32_t add, uint32_t remove,
                                                       bool replace, const void* origin) = 0;
    // The listed UIDs (only \Deleted ones if require_deleted); all \Deleted
    // ones when uids is nullopt. Returns the UIDs removed.
    virtual io::Task<Result<std::vector<uint32_t>>> expunge(std::string user, std::string mailbox,
                                                            std::optional<std::vector<uint32_t>> uids,
                                                            bool require_deleted, const void* origin) = 0;
    virtual io::Task<Result<CopyUids>> copy(std::string user, std::string from, std::vector<uint32_t> uids,
                                            std::string to, bool move, const void* origin) = 0;
    virtual io::Task<Result<AppendUid>> append(std::string user, std::string mailbox, std::string data,
                                               uint32_t flags, int64_t internal_date, const void* origin) = 0;

    // Runs `work` (CPU-bound: SEARCH decoding and matching a large message)
    // off the ring when the implementation has threads for it; this default
    // runs it in place. An error means it did not run.
    virtual io::Task<Result<void>> compute(std::string user, std::function<void()> work) {
        (void)user;
        work();
        co_return Result<void>();
    }

    // Calls on_change on the calling ring whenever the mailbox may have
    // changed (another session's write, a delivery), until the returned
    // handle is destroyed. May return null when changes are not reported.
    virtual std::shared_ptr<void> watch(std::string user, std::string mailbox, std::function<void()> on_change) = 0;
};

}  // namespace ringpost::imap
