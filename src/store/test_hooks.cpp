// Raw column family access for unit tests; see test_hooks.hpp.
#include "store/test_hooks.hpp"

#include "store/keys.hpp"
#include <chrono>
#include <cstdlib>
#include <thread>

#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>

#include "store/store_impl.hpp"
#include "store/write_txn.hpp"

namespace ringpost::store::test_hooks {

struct Access {
    static StoreImpl& impl(Store& store) { return *store.impl_; }
};

namespace {

Result<rocksdb::ColumnFamilyHandle*> find_cf(StoreImpl& impl, std::string_view name) {
    for (auto* h : impl.handles)
        if (h->GetName() == name) return h;
    return make_error("no column family " + std::string(name));
}

// The column family named `name` as StoreImpl's index.
Result<StoreImpl::Cf> cf_index(StoreImpl& impl, std::string_view name) {
    for (size_t i = 0; i < impl.handles.size(); ++i)
        if (impl.handles[i]->GetName() == name) return static_cast<StoreImpl::Cf>(i);
    return make_error("no column family " + std::string(name));
}

// A raw write as a request of the commit stage, the store's one writer.
// The commit thread's meta cache is dropped with it: a damaged meta must be
// what the next write reads.
Result<void> raw_write(Store& store, std::string_view cf, std::string_view key,
                       const std::optional<std::string_view>& value) {
    auto& impl = Access::impl(store);
    auto which = cf_index(impl, cf);
    if (!which) return which.error();
    return impl.run_write([&](WriteTxn& txn) -> Result<void> {
        if (value) txn.put(*which, key, *value);
        else txn.del(*which, key);
        txn.after_commit([&impl] { impl.meta_cache.clear(); });
        return {};
    });
}

}  // namespace

Result<void> raw_put(Store& store, std::string_view cf, std::string_view key, std::string_view value) {
    return raw_write(store, cf, key, value);
}

Result<void> raw_delete(Store& store, std::string_view cf, std::string_view key) {
    return raw_write(store, cf, key, std::nullopt);
}

Result<std::optional<std::string>> raw_get(Store& store, std::string_view cf, std::string_view key) {
    auto& impl = Access::impl(store);
    auto h = find_cf(impl, cf);
    if (!h) return h.error();
    std::string value;
    rocksdb::Status s = impl.db->Get(rocksdb::ReadOptions(), h.value(), rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return db_error("raw get", s);
    return std::optional<std::string>(std::move(value));
}

Result<size_t> raw_count(Store& store, std::string_view cf) {
    auto& impl = Access::impl(store);
    auto h = find_cf(impl, cf);
    if (!h) return h.error();
    std::unique_ptr<rocksdb::Iterator> it(impl.db->NewIterator(rocksdb::ReadOptions(), h.value()));
    size_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    if (!it->status().ok()) return db_error("raw count", it->status());
    return n;
}

std::vector<Result<void>> write_batch(Store& store, std::span<const CommitRef> requests) {
    std::vector<Result<void>> results(requests.size());
    Access::impl(store).write_batch(requests, results);
    return results;
}

Result<void> flush(Store& store) {
    auto& impl = Access::impl(store);
    rocksdb::FlushOptions options;
    options.wait = true;
    rocksdb::Status s = impl.db->Flush(options, impl.handles);
    if (!s.ok()) return db_error("flushing", s);
    return {};
}

void report_write_stop(Store& store) { Access::impl(store).space->database_stopped(); }

std::unique_ptr<WriteRequest> failing_request(std::string user, std::string mailbox) {
    auto request = std::make_unique<WriteRequest>();
    request->build = [user = std::move(user), mailbox = std::move(mailbox)](WriteTxn& txn) -> Result<void> {
        const std::string meta_key = keys::mailbox_key(user, mailbox);
        auto meta = txn.read_meta(meta_key);
        if (!meta) return meta.error();
        if (!meta->has_value()) return make_error("no such mailbox");
        MailboxMeta changed = **meta;
        changed.uidnext += 1000;
        txn.put(StoreImpl::kMessages, keys::message_key(user, mailbox, 999), "not a record");
        txn.put_meta(meta_key, changed);
        txn.after_commit([] { std::abort(); });  // must never run: the request failed
        return make_error("failing on purpose after adding to the batch");
    };
    return request;
}

size_t queued(Store& store) {
    auto* stage = dynamic_cast<GroupCommitStage*>(Access::impl(store).commit.get());
    return stage ? stage->queued() : 0;
}

Result<uint64_t> listing_skips(Store& store, std::string_view user, std::string_view mailbox) {
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
    rocksdb::get_perf_context()->Reset();
    auto listing = store.mailboxes().list_messages(user, mailbox);
    const rocksdb::PerfContext& perf = *rocksdb::get_perf_context();
    const uint64_t skips = perf.internal_delete_skipped_count + perf.internal_key_skipped_count;
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
    if (!listing) return listing.error();
    return skips;
}

uint64_t wait_for_compactions(Store& store) {
    auto& compactor = *Access::impl(store).compactor;
    for (int i = 0; i < 6000 && !compactor.idle(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return compactor.done();
}

}  // namespace ringpost::store::test_hooks
