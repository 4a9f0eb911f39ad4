// WriteTxn: the batch the commit thread is building, as its requests see it.
//
// The commit stage is the store's only writer. Each request of a batch runs
// its check-and-build against a WriteTxn: reads go through the batch to the
// database (RocksDB's WriteBatchWithIndex), so a request sees what earlier
// requests of the same batch wrote -- two STOREs, an APPEND and a delivery
// into one INBOX, an expunge and a COPY of one message -- and serialises
// with them without any lock held across the fsync. Mailbox metas are also
// tracked by key, so the commit thread's meta cache learns them only once
// the batch is durable.
//
// A request that fails is undone: begin_request() sets a save point that
// fail_request() rolls the batch, the pending metas and the after-commit
// actions back to. (Requests still do all their reads and checks first;
// the rollback is what makes "a failed request leaves no trace" hold even
// for a bug.) Commit thread only; internal to src/store.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/utilities/write_batch_with_index.h>

#include "store/store_impl.hpp"

namespace ringpost::store {

class WriteTxn {
public:
    using Cf = StoreImpl::Cf;

    explicit WriteTxn(StoreImpl& impl);

    StoreImpl& impl() { return impl_; }
    rocksdb::ColumnFamilyHandle* cf(Cf which) const { return impl_.cf(which); }

    // --- reads: the database plus this batch so far ---
    Result<std::optional<std::string>> get(Cf which, std::string_view key);
    // As StoreImpl::scan, through the batch.
    Result<void> scan(Cf which, std::string_view prefix, const StoreImpl::ScanFn& fn);
    // An iterator over `which` through the batch; `ro` (and its bounds) must
    // outlive it.
    std::unique_ptr<rocksdb::Iterator> iterator(Cf which, const rocksdb::ReadOptions& ro);
    // A mailbox meta: written by this batch, cached (committed), or stored.
    Result<std::optional<MailboxMeta>> read_meta(const std::string& key);
    // The body reference count of queue_id as of this batch; 0 if none.
    Result<uint64_t> read_body_refs(std::string_view queue_id);

    // --- writes ---
    void put(Cf which, std::string_view key, std::string_view value);
    void del(Cf which, std::string_view key);
    void put_meta(const std::string& key, const MailboxMeta& meta);
    void delete_meta(const std::string& key);
    // body_refs = count, or at 0 the deletion of the body and its count.
    void set_body_refs(std::string_view queue_id, uint64_t count);
    // Drops drops[queue_id] references from each body (reads first, then
    // writes: on a read error nothing was added).
    Result<void> drop_body_refs(const std::map<std::string, uint64_t>& drops);
    // Runs on the commit thread once the batch is durable (not if it fails).
    void after_commit(std::function<void()> action);

    // --- the commit thread's side ---
    void begin_request();
    void end_request();   // the request succeeded
    void fail_request();  // undo everything since begin_request()
    bool empty() { return batch_.GetWriteBatch()->Count() == 0; }
    rocksdb::WriteBatch* write_batch() { return batch_.GetWriteBatch(); }
    // After the durable write: the cache takes the metas, actions run.
    void committed();

private:
    StoreImpl& impl_;
    rocksdb::WriteBatchWithIndex batch_;
    // key -> meta as this batch leaves it (nullopt: deleted).
    std::map<std::string, std::optional<MailboxMeta>, std::less<>> metas_;
    // Undo log of metas_ for the current request: (key, entry before; the
    // outer nullopt means there was no entry).
    std::vector<std::pair<std::string, std::optional<std::optional<MailboxMeta>>>> meta_undo_;
    std::vector<std::function<void()>> actions_;
    size_t actions_mark_ = 0;
};

}  // namespace ringpost::store
