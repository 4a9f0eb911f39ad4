// Raw column family access for unit tests; see test_hooks.hpp.
#include "store/test_hooks.hpp"

#include "store/keys.hpp"
#include "store/store_impl.hpp"

namespace ringpost::store::test_hooks {

struct Access {
    static Store::Impl& impl(Store& store) { return *store.impl_; }
};

namespace {

Result<rocksdb::ColumnFamilyHandle*> find_cf(Store::Impl& impl, std::string_view name) {
    for (auto* h : impl.handles)
        if (h->GetName() == name) return h;
    return make_error("no column family " + std::string(name));
}

}  // namespace

Result<void> raw_put(Store& store, std::string_view cf, std::string_view key, std::string_view value) {
    auto& impl = Access::impl(store);
    auto h = find_cf(impl, cf);
    if (!h) return h.error();
    std::lock_guard lock(impl.write_mu);
    rocksdb::WriteBatch batch;
    batch.Put(h.value(), rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size()));
    return impl.write_synced(batch, "raw put");
}

Result<void> raw_delete(Store& store, std::string_view cf, std::string_view key) {
    auto& impl = Access::impl(store);
    auto h = find_cf(impl, cf);
    if (!h) return h.error();
    std::lock_guard lock(impl.write_mu);
    rocksdb::WriteBatch batch;
    batch.Delete(h.value(), rocksdb::Slice(key.data(), key.size()));
    return impl.write_synced(batch, "raw delete");
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

}  // namespace ringpost::store::test_hooks
