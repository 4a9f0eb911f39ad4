// Store::Impl: the RocksDB handles and the in-memory state shared by the
// blocking API (store.cpp, spool_schedule.cpp, mailboxes.cpp,
// mailbox_messages.cpp), the open/close code
// (store_open.cpp), the commit thread's batch writer (commit_batch.cpp with
// accept.cpp, outcome.cpp, inbox_writer.cpp) and recover() (recover.cpp).
// Internal to src/store: this is where RocksDB headers may be included.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "store/commit_stage_impl.hpp"
#include "store/records.hpp"
#include "store/space_watch.hpp"
#include "store/store.hpp"

namespace ringpost::store {

// Turns a failed RocksDB status into an Error naming what was being done.
Error db_error(std::string_view what, const rocksdb::Status& status);

// Mailbox metas by mailboxes CF key.
using MetaMap = std::map<std::string, MailboxMeta, std::less<>>;

// Holds a snapshot for one consistent multi-key read and releases it on
// every path. Null (read the latest state) when `take` is false: a
// secondary instance refuses snapshots, but its view is fixed once it has
// caught up at open, so it needs none.
class SnapshotGuard {
public:
    SnapshotGuard(rocksdb::DB* db, bool take) : db_(db), snapshot_(take ? db->GetSnapshot() : nullptr) {}
    ~SnapshotGuard() {
        if (snapshot_) db_->ReleaseSnapshot(snapshot_);
    }
    SnapshotGuard(const SnapshotGuard&) = delete;
    SnapshotGuard& operator=(const SnapshotGuard&) = delete;
    const rocksdb::Snapshot* get() const { return snapshot_; }

private:
    rocksdb::DB* db_;
    const rocksdb::Snapshot* snapshot_;
};

struct Store::Impl final : BatchWriter {
    ~Impl() override;  // stops the commit thread, then closes the DB

    StoreOptions options;
    rocksdb::DB* db = nullptr;
    // Owned handles, indexed by the Cf enum (default CF first; unused).
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    std::string secondary_path;  // secondary instances only; removed on close

    enum Cf { kDefault, kBodies, kBodyRefs, kEnvelopes, kSchedule, kMailboxes, kMessages, kUsers, kCfCount };
    rocksdb::ColumnFamilyHandle* cf(Cf which) const { return handles[which]; }

    // Held by the commit thread while it builds and writes a batch and by
    // every blocking writer around its read-modify-write, so UID allocation
    // and body reference counts never race. Reads do not take it.
    std::mutex write_mu;

    // Mailbox meta cache: mailbox_key -> meta as committed. Only touched with
    // write_mu held. Saves a read per local delivery; ordered so that all of
    // one user's entries can be dropped by prefix. Every writer of a meta
    // updates or drops its entry once its batch is durable (cache_metas).
    MetaMap meta_cache;

    // The last UIDVALIDITY handed out (loaded at open from the default CF's
    // kUidValidityLast). Only touched with write_mu held.
    uint32_t uidvalidity_last = 0;

    // All user addresses (lower-cased), for user_exists() on ring threads.
    // Primary only; a read-only instance reads the users CF instead.
    mutable std::shared_mutex users_mu;
    std::unordered_set<std::string> users;

    std::unique_ptr<GroupCommitStage> commit;

    // Free space and the way back from a write error (primary only; made
    // before the database is opened, since its listener reports to it).
    std::unique_ptr<SpaceWatch> space;

    // --- helpers (store.cpp) ---
    Result<void> require_writable() const;
    // Point read; nullopt if the key is absent. Reads the latest state, or
    // `snapshot` if given.
    Result<std::optional<std::string>> get(Cf which, std::string_view key,
                                           const rocksdb::Snapshot* snapshot = nullptr) const;
    // Calls fn(key, value) for every key starting with `prefix` (all keys if
    // empty), in key order, until fn returns false.
    using ScanFn = std::function<bool(std::string_view key, std::string_view value)>;
    Result<void> scan(Cf which, std::string_view prefix, const ScanFn& fn,
                      const rocksdb::Snapshot* snapshot = nullptr) const;
    // The stored body reference count of queue_id; 0 if it has none.
    Result<uint64_t> read_body_refs(std::string_view queue_id) const;
    // Adds to `batch`: body_refs = count, or, at 0, the deletion of the body
    // and its count.
    void set_body_refs(rocksdb::WriteBatch& batch, std::string_view queue_id, uint64_t count);
    // Adds deletes/puts to `batch` that drop `drops[queue_id]` references from
    // each body, deleting body and count when none remain. write_mu held.
    Result<void> drop_body_refs(rocksdb::WriteBatch& batch, const std::map<std::string, uint64_t>& drops);
    Result<void> write_synced(rocksdb::WriteBatch& batch, std::string_view what);

    // --- mailboxes (mailboxes.cpp); write_mu held unless said otherwise ---
    // A new UIDVALIDITY: max(now, last + 1). The caller adds
    // put_uidvalidity_last() to the batch that stores a mailbox with it.
    uint32_t allocate_uidvalidity();
    void put_uidvalidity_last(rocksdb::WriteBatch& batch);
    // The stored meta under mailboxes CF `key`; nullopt if absent. No lock needed.
    Result<std::optional<MailboxMeta>> read_meta(std::string_view key,
                                                 const rocksdb::Snapshot* snapshot = nullptr) const;
    // After a durable write: the cache takes the metas written and forgets
    // the ones deleted.
    void cache_metas(const MetaMap& written, const std::vector<std::string>& deleted = {});
    // Adds the default mailboxes the user lacks to `batch` (and to
    // `written`); returns how many.
    Result<size_t> add_default_mailboxes(rocksdb::WriteBatch& batch, const std::string& user, MetaMap& written);

    // --- commit thread (commit_batch.cpp) ---
    void write_batch(std::span<const CommitRef> requests, std::vector<Result<void>>& results) override;
};

// True if any recipient still needs a delivery attempt.
bool has_pending_recipients(const mail::Envelope& envelope);

// stored + added - dropped, logging (and stopping at 0) if more references
// are dropped than exist: deleting the body is the only sane end state then.
uint64_t adjusted_refcount(std::string_view queue_id, uint64_t stored, uint64_t added, uint64_t dropped);

}  // namespace ringpost::store
