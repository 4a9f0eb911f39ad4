// Store::Impl: the RocksDB handles and the in-memory state shared by the
// blocking API (store.cpp, spool_schedule.cpp), the open/close code
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
#include "store/store.hpp"

namespace ringpost::store {

// Turns a failed RocksDB status into an Error naming what was being done.
Error db_error(std::string_view what, const rocksdb::Status& status);

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
    // one user's entries can be dropped by prefix.
    std::map<std::string, MailboxMeta, std::less<>> meta_cache;

    // All user addresses (lower-cased), for user_exists() on ring threads.
    // Primary only; a read-only instance reads the users CF instead.
    mutable std::shared_mutex users_mu;
    std::unordered_set<std::string> users;

    std::unique_ptr<GroupCommitStage> commit;

    // --- helpers (store.cpp) ---
    Result<void> require_writable() const;
    // Point read; nullopt if the key is absent.
    Result<std::optional<std::string>> get(Cf which, std::string_view key) const;
    // Calls fn(key, value) for every key starting with `prefix` (all keys if
    // empty), in key order, until fn returns false.
    using ScanFn = std::function<bool(std::string_view key, std::string_view value)>;
    Result<void> scan(Cf which, std::string_view prefix, const ScanFn& fn) const;
    // The stored body reference count of queue_id; 0 if it has none.
    Result<uint64_t> read_body_refs(std::string_view queue_id) const;
    // Adds to `batch`: body_refs = count, or, at 0, the deletion of the body
    // and its count.
    void set_body_refs(rocksdb::WriteBatch& batch, std::string_view queue_id, uint64_t count);
    // Adds deletes/puts to `batch` that drop `drops[queue_id]` references from
    // each body, deleting body and count when none remain. write_mu held.
    Result<void> drop_body_refs(rocksdb::WriteBatch& batch, const std::map<std::string, uint64_t>& drops);
    Result<void> write_synced(rocksdb::WriteBatch& batch, std::string_view what);

    // --- commit thread (commit_batch.cpp) ---
    void write_batch(std::span<const CommitRef> requests, std::vector<Result<void>>& results) override;
};

// True if any recipient still needs a delivery attempt.
bool has_pending_recipients(const mail::Envelope& envelope);

// stored + added - dropped, logging (and stopping at 0) if more references
// are dropped than exist: deleting the body is the only sane end state then.
uint64_t adjusted_refcount(std::string_view queue_id, uint64_t stored, uint64_t added, uint64_t dropped);

}  // namespace ringpost::store
