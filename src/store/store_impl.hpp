// StoreImpl: the RocksDB handles and the in-memory state behind Store --
// the one private handle its facades share: Users (users.cpp), Spool
// (spool.cpp, spool_schedule.cpp), Mailboxes (mailboxes.cpp,
// mailbox_messages.cpp, mailbox_keywords.cpp, mailbox_cli_reads.cpp) and
// Recovery (recover.cpp) -- plus the open/close code (store_open.cpp) and
// the commit thread's batch writer (commit_batch.cpp with accept.cpp,
// outcome.cpp, inbox_writer.cpp).
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
#include "store/event_log_state.hpp"
#include "store/range_compactor.hpp"
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

struct StoreImpl final : BatchWriter {
    ~StoreImpl() override;  // stops the commit thread, then closes the DB

    StoreOptions options;
    rocksdb::DB* db = nullptr;
    // Owned handles, indexed by the Cf enum (default CF first; unused).
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    std::string secondary_path;  // secondary instances only; removed on close

    enum Cf { kDefault, kBodies, kBodyRefs, kEnvelopes, kSchedule, kMailboxes, kMessages, kUsers, kEvents, kCfCount };
    rocksdb::ColumnFamilyHandle* cf(Cf which) const { return handles[which]; }

    // There is no write mutex: the commit thread is the only writer (every
    // write is a request of its batches, write_txn.hpp), so UID allocation,
    // counters and body reference counts are serialised by it.

    // Mailbox meta cache: mailbox_key -> meta as committed. Commit thread
    // only. Saves a read per local delivery; a batch's metas enter it only
    // once the batch is durable (WriteTxn::committed).
    MetaMap meta_cache;

    // The last UIDVALIDITY handed out (loaded at open from the default CF's
    // kUidValidityLast). Commit thread only.
    uint32_t uidvalidity_last = 0;

    // Deletion markers each mailbox (keys::message_prefix) gained since its
    // range was last handed to the compactor. Commit thread only.
    std::map<std::string, uint64_t, std::less<>> removed_since_compaction;
    std::unique_ptr<RangeCompactor> compactor;  // primary only

    // All user addresses (lower-cased), for Users::exists() on ring threads.
    // Primary only; a read-only instance reads the users CF instead.
    mutable std::shared_mutex users_mu;
    std::unordered_set<std::string> users;

    // The event log's ids, bounds and sink cursors (event_log_state.hpp).
    EventLogState events;

    std::unique_ptr<GroupCommitStage> commit;

    // Free space and the way back from a write error (primary only; made
    // before the database is opened, since its listener reports to it).
    std::unique_ptr<SpaceWatch> space;

    // --- helpers (store_impl.cpp) ---
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
    Result<void> write_synced(rocksdb::WriteBatch& batch, std::string_view what, bool sync = true);

    // Runs `build` on the commit thread as one request of its next batch and
    // waits until that batch is durable (or failed). For the blocking API,
    // called from pool threads and the CLI, never from a ring thread nor
    // the commit thread (an error, not a deadlock). `bytes`: message bytes
    // the request adds, for the batch's byte cap.
    Result<void> run_write(std::function<Result<void>(WriteTxn&)> build, size_t bytes = 0);
    // The same for a build that returns a value.
    template <class T, class Build>
    Result<T> write(Build&& build, size_t bytes = 0) {
        std::optional<T> out;
        auto done = run_write([&](WriteTxn& txn) -> Result<void> {
            Result<T> r = build(txn);
            if (!r) return r.error();
            out.emplace(std::move(r).value());
            return {};
        }, bytes);
        if (!done) return done.error();
        return std::move(*out);
    }

    // --- mailboxes (mailboxes.cpp); commit thread unless said otherwise ---
    // A new UIDVALIDITY: max(now, last + 1). The caller adds
    // put_uidvalidity_last() to the batch that stores a mailbox with it.
    uint32_t allocate_uidvalidity();
    void put_uidvalidity_last(WriteTxn& txn);
    // The stored meta under mailboxes CF `key`; nullopt if absent. Any thread.
    Result<std::optional<MailboxMeta>> read_meta(std::string_view key,
                                                 const rocksdb::Snapshot* snapshot = nullptr) const;
    // Adds the default mailboxes the user lacks to the batch; returns how many.
    Result<size_t> add_default_mailboxes(WriteTxn& txn, const std::string& user);

    // Once the batch is durable: `removed` message records of the mailbox
    // with message prefix `prefix` became deletion markers; it has `live`
    // messages left. Hands its range to the compactor when the markers
    // outnumber them (range_compactor.hpp).
    void count_removed_messages(WriteTxn& txn, const std::string& prefix, uint64_t removed, uint64_t live);

    // --- commit thread (commit_batch.cpp) ---
    void write_batch(std::span<const CommitRef> requests, std::vector<Result<void>>& results) override;
};

// stored + added - dropped, logging (and stopping at 0) if more references
// are dropped than exist: deleting the body is the only sane end state then.
uint64_t adjusted_refcount(std::string_view queue_id, uint64_t stored, uint64_t added, uint64_t dropped);

}  // namespace ringpost::store
