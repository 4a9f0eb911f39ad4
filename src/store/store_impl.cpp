// StoreImpl's helpers, shared by the facades (users.cpp, spool.cpp,
// mailboxes.cpp, ...), the commit thread's writers and recover(): point
// reads, prefix scans, the synced write, and run_write, which makes a
// blocking write a request of the commit stage.
//
// Blocking writers are requests of the commit stage (run_write): their
// read-modify-write runs on the commit thread against the batch being
// built, so a body reference count or mailbox meta is never updated from
// two places at once, and they share the batch's one fsync.
#include <algorithm>
#include <chrono>
#include <future>

#include "store/keys.hpp"
#include "store/store_impl.hpp"
#include "store/store_metrics.hpp"
#include "store/write_txn.hpp"
#include "util/log.hpp"

namespace ringpost::store {

// --- helpers ---

Result<void> StoreImpl::require_writable() const {
    if (options.read_only) return make_error("store " + options.path + " is open read-only");
    return {};
}

Result<std::optional<std::string>> StoreImpl::get(Cf which, std::string_view key,
                                                    const rocksdb::Snapshot* snapshot) const {
    std::string value;
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot;
    rocksdb::Status s = db->Get(ro, cf(which), rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return db_error(std::string("reading ") + cf(which)->GetName(), s);
    return std::optional<std::string>(std::move(value));
}

Result<void> StoreImpl::scan(Cf which, std::string_view prefix, const ScanFn& fn,
                               const rocksdb::Snapshot* snapshot) const {
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot;
    // Both bounds: the iterator never looks outside the prefix's keys.
    rocksdb::Slice lower_slice(prefix.data(), prefix.size());
    ro.iterate_lower_bound = &lower_slice;
    std::string upper = keys::prefix_successor(prefix);
    rocksdb::Slice upper_slice(upper);
    if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf(which)));
    for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid(); it->Next()) {
        if (!fn(std::string_view(it->key().data(), it->key().size()),
                std::string_view(it->value().data(), it->value().size())))
            break;
    }
    if (!it->status().ok()) return db_error(std::string("scanning ") + cf(which)->GetName(), it->status());
    return {};
}

uint64_t adjusted_refcount(std::string_view queue_id, uint64_t stored, uint64_t added, uint64_t dropped) {
    uint64_t have = stored + added;
    if (have < dropped) {
        log::warn("body_refs_underflow", {{"qid", queue_id}, {"count", have}, {"dropping", dropped}});
        return 0;
    }
    return have - dropped;
}

Result<void> StoreImpl::write_synced(rocksdb::WriteBatch& batch, std::string_view what, bool sync) {
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    const auto start = std::chrono::steady_clock::now();
    rocksdb::Status s = db->Write(wo, &batch);
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    if (sync) store_metrics().sync_write_us.observe(static_cast<uint64_t>(took.count()));
    if (!s.ok()) return db_error(what, s);
    return {};
}

void StoreImpl::count_removed_messages(WriteTxn& txn, const std::string& prefix, uint64_t removed, uint64_t live) {
    if (removed == 0 || !compactor) return;
    txn.after_commit([this, prefix, removed, live] {
        // The floor keeps a small mailbox from being compacted at every expunge.
        constexpr uint64_t kMinMarkers = 500;
        if (removed_since_compaction.size() > 100000) removed_since_compaction.clear();  // bounded, like the meta cache
        uint64_t& markers = removed_since_compaction[prefix];
        markers += removed;
        if (markers < std::max(kMinMarkers, live)) return;
        removed_since_compaction.erase(prefix);
        compactor->request(prefix);
    });
}

Result<void> StoreImpl::run_write(std::function<Result<void>(WriteTxn&)> build, size_t bytes) {
    if (auto w = require_writable(); !w) return w;
    if (commit->on_commit_thread()) return make_error("a blocking store write on the commit thread would wait for itself");
    std::promise<Result<void>> done;
    auto result = done.get_future();
    auto request = std::make_unique<WriteRequest>();
    request->build = std::move(build);
    request->bytes = bytes;
    request->on_done = [&done](const Result<void>& r) { done.set_value(r); };
    commit->submit(std::move(request));
    return result.get();
}

}  // namespace ringpost::store
