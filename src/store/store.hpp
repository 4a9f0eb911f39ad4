// The durable store: spool (bodies, envelopes, due-time index), mailboxes and
// users, all in one RocksDB database with column families. This header does
// not include RocksDB: src/store is the only code that does (pimpl).
//
// Two kinds of access:
//  * blocking calls (users, queue listing, due scans, mailbox reads) for the
//    CLI, the admin socket thread, the delivery engine's feeder thread and
//    startup -- never on a ring thread, except user_exists(), which is a
//    point read served from memory (see .cpp);
//  * accepted messages (from sessions) and delivery outcomes (from the
//    delivery engine) go through CommitStage (commit_stage.hpp), which
//    batches them into one synced WriteBatch (group commit). Accepting only
//    spools; local recipients get their INBOX copy through an outcome.
// Key layout: docs/STORAGE.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/envelope.hpp"
#include "util/result.hpp"

namespace ringpost::store {

struct StoreOptions {
    std::string path;              // data directory (created if missing, unless read_only)
    bool read_only = false;        // open as a RocksDB secondary/read-only instance (CLI reads while serve runs)
    uint64_t min_blob_size = 2048; // bodies at least this large go to blob files, out of the LSM
};

struct UserRecord {
    std::string address;        // lower-cased
    std::string password_hash;  // crypt(3) string, e.g. "$y$..."; empty = no password (no login)
    int64_t created = 0;
};

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

// A spooled message the delivery engine loaded because it is due.
struct DueMessage {
    mail::Envelope envelope;
    std::shared_ptr<const std::string> body;   // the stored message bytes
};

struct DueScan {
    std::vector<DueMessage> messages;     // in due order
    // The due time of the first schedule entry not returned (not counting
    // skipped ones): <= now when a limit stopped the scan, > now when
    // everything due was returned; 0 when there is no further entry.
    int64_t next_due = 0;
};

struct QueueStats {
    uint64_t messages = 0;       // envelopes in the spool
    uint64_t recipients_pending = 0;
    uint64_t bytes = 0;
    int64_t oldest = 0;          // received_at of the oldest message, 0 if empty
};

class CommitStage;
namespace test_hooks { struct Access; }

class Store {
public:
    static Result<std::unique_ptr<Store>> open(const StoreOptions& options);
    ~Store();

    // --- users (blocking) ---
    Result<void> add_user(const UserRecord& user);        // error if it exists
    Result<void> delete_user(std::string_view address);  // error if missing; mailbox kept? no: removed
    Result<std::vector<UserRecord>> list_users();
    Result<std::optional<UserRecord>> get_user(std::string_view address);
    // Fast existence check used on RCPT TO; safe on a ring thread.
    bool user_exists(std::string_view address);

    // --- spool (blocking; writers take the store's write mutex, like the commit thread) ---
    Result<std::vector<mail::Envelope>> list_queue(size_t limit = 0);
    Result<std::optional<mail::Envelope>> get_envelope(std::string_view queue_id);
    Result<std::optional<std::string>> get_body(std::string_view queue_id);
    Result<void> delete_queued(std::string_view queue_id);  // envelope + schedule; body if unreferenced
    Result<QueueStats> queue_stats();
    // The delivery engine's feeder (its own thread; blocking): the messages
    // whose schedule entry is due at or before `now`, scanning from due time
    // `from`, skipping queue IDs for which skip(id) is true (in flight), up to
    // max_messages messages / max_bytes body bytes (at least one message).
    // An entry whose envelope or body is missing is logged and skipped.
    Result<DueScan> load_due(int64_t now, int64_t from, size_t max_messages, size_t max_bytes,
                             const std::function<bool(std::string_view queue_id)>& skip);
    // `queue flush`: every pending message due later than `when` becomes due
    // at `when` (envelope.next_attempt and its schedule entry, one synced
    // write). Returns how many were moved.
    Result<uint64_t> reschedule_all(int64_t when);

    // --- mailboxes (blocking) ---
    Result<std::vector<MailboxMessage>> list_mailbox(std::string_view user, std::string_view mailbox = "INBOX");
    // The stored message as the user sees it (Return-Path/Delivered-To prefix + body), by MailboxMessage::id.
    Result<std::optional<std::string>> get_mailbox_message(std::string_view user, std::string_view id);

    // Recovery at startup: make the schedule index (derived data) match the
    // envelopes again and report damage (every write is one atomic batch, so
    // a crash itself leaves nothing half-done).
    Result<void> recover();

    CommitStage& commit_stage();

    struct Impl;
private:
    friend struct test_hooks::Access;  // unit tests' raw column family access (test_hooks.hpp)
    explicit Store(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Queue IDs: 16 upper-case hex digits = 44 bits of milliseconds since the
// epoch and a 20-bit sequence; strictly increasing within a process and,
// as long as the clock does not go back, across restarts.
std::string new_queue_id();
bool is_valid_queue_id(std::string_view id);

}  // namespace ringpost::store
