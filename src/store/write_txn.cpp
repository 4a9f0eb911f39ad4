// The batch being built, as its requests see it; see write_txn.hpp.
#include "store/write_txn.hpp"

#include "store/keys.hpp"

namespace ringpost::store {

// overwrite_key: a key written twice in one batch is indexed once, with its
// latest value, which is what every read of a later request must see.
WriteTxn::WriteTxn(StoreImpl& impl) : impl_(impl), batch_(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true) {}

Result<std::optional<std::string>> WriteTxn::get(Cf which, std::string_view key) {
    std::string value;
    rocksdb::Status s =
        batch_.GetFromBatchAndDB(impl_.db, rocksdb::ReadOptions(), cf(which), rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return db_error(std::string("reading ") + cf(which)->GetName(), s);
    return std::optional<std::string>(std::move(value));
}

std::unique_ptr<rocksdb::Iterator> WriteTxn::iterator(Cf which, const rocksdb::ReadOptions& ro) {
    return std::unique_ptr<rocksdb::Iterator>(
        batch_.NewIteratorWithBase(cf(which), impl_.db->NewIterator(ro, cf(which)), &ro));
}

Result<void> WriteTxn::scan(Cf which, std::string_view prefix, const StoreImpl::ScanFn& fn) {
    rocksdb::ReadOptions ro;
    rocksdb::Slice lower_slice(prefix.data(), prefix.size());
    ro.iterate_lower_bound = &lower_slice;
    std::string upper = keys::prefix_successor(prefix);
    rocksdb::Slice upper_slice(upper);
    if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
    auto it = iterator(which, ro);
    for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid(); it->Next()) {
        std::string_view key(it->key().data(), it->key().size());
        // The batch's half of the iterator may not honour the bound.
        if (key.substr(0, prefix.size()) != prefix) break;
        if (!fn(key, std::string_view(it->value().data(), it->value().size()))) break;
    }
    if (!it->status().ok()) return db_error(std::string("scanning ") + cf(which)->GetName(), it->status());
    return {};
}

Result<std::optional<MailboxMeta>> WriteTxn::read_meta(const std::string& key) {
    if (auto it = metas_.find(key); it != metas_.end()) return it->second;
    if (auto it = impl_.meta_cache.find(key); it != impl_.meta_cache.end())
        return std::optional<MailboxMeta>(it->second);
    auto stored = impl_.read_meta(key);  // not written by this batch: the database has it
    if (!stored) return stored.error();
    // Committed state, and only this thread writes: it may go to the cache.
    if (stored->has_value()) impl_.meta_cache.emplace(key, **stored);
    return stored;
}

Result<uint64_t> WriteTxn::read_body_refs(std::string_view queue_id) {
    auto stored = get(StoreImpl::kBodyRefs, queue_id);
    if (!stored) return stored.error();
    if (!stored->has_value()) return uint64_t{0};
    return decode_refcount(**stored);
}

void WriteTxn::put(Cf which, std::string_view key, std::string_view value) {
    batch_.Put(cf(which), rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size()));
}

void WriteTxn::del(Cf which, std::string_view key) {
    batch_.Delete(cf(which), rocksdb::Slice(key.data(), key.size()));
}

void WriteTxn::put_meta(const std::string& key, const MailboxMeta& meta) {
    put(StoreImpl::kMailboxes, key, encode_mailbox_meta(meta));
    auto it = metas_.find(key);
    meta_undo_.emplace_back(key, it == metas_.end() ? std::nullopt : std::make_optional(it->second));
    metas_[key] = meta;
}

void WriteTxn::delete_meta(const std::string& key) {
    del(StoreImpl::kMailboxes, key);
    auto it = metas_.find(key);
    meta_undo_.emplace_back(key, it == metas_.end() ? std::nullopt : std::make_optional(it->second));
    metas_[key] = std::nullopt;
}

void WriteTxn::set_body_refs(std::string_view queue_id, uint64_t count) {
    if (count == 0) {
        del(StoreImpl::kBodies, queue_id);
        del(StoreImpl::kBodyRefs, queue_id);
    } else {
        put(StoreImpl::kBodyRefs, queue_id, encode_refcount(count));
    }
}

Result<void> WriteTxn::drop_body_refs(const std::map<std::string, uint64_t>& drops) {
    std::vector<uint64_t> counts;
    counts.reserve(drops.size());
    for (const auto& [qid, n] : drops) {
        auto count = read_body_refs(qid);
        if (!count) return count.error();
        counts.push_back(adjusted_refcount(qid, count.value(), 0, n));
    }
    size_t i = 0;
    for (const auto& entry : drops) set_body_refs(entry.first, counts[i++]);
    return {};
}

void WriteTxn::after_commit(std::function<void()> action) { actions_.push_back(std::move(action)); }

void WriteTxn::begin_request() {
    batch_.SetSavePoint();
    meta_undo_.clear();
    actions_mark_ = actions_.size();
}

void WriteTxn::end_request() {
    batch_.PopSavePoint();
    meta_undo_.clear();
}

void WriteTxn::fail_request() {
    batch_.RollbackToSavePoint();
    for (auto it = meta_undo_.rbegin(); it != meta_undo_.rend(); ++it) {
        if (it->second) metas_[it->first] = *it->second;
        else metas_.erase(it->first);
    }
    meta_undo_.clear();
    actions_.resize(actions_mark_);
}

void WriteTxn::committed() {
    for (auto& [key, meta] : metas_) {
        if (meta) impl_.meta_cache[key] = *meta;
        else impl_.meta_cache.erase(key);
    }
    for (auto& action : actions_) action();
}

}  // namespace ringpost::store
