// Unsynced prefixed records: the scan and the save (unsynced_records.hpp).
#include "store/unsynced_records.hpp"

#include "store/keys.hpp"
#include "store/store_impl.hpp"
#include "store/write_txn.hpp"

namespace ringpost::store {

Result<void> load_unsynced(StoreImpl& impl, std::string_view prefix,
                           const std::function<void(std::string_view name, std::string_view value)>& each) {
    auto r = impl.scan(StoreImpl::kDefault, prefix, [&](std::string_view key, std::string_view value) {
        if (key.starts_with(prefix)) each(key.substr(prefix.size()), value);
        return true;
    });
    if (!r) return r.error();
    return {};
}

void save_unsynced(StoreImpl& impl, std::string_view prefix, std::vector<std::pair<std::string, std::string>> put,
                   std::vector<std::string> removed) {
    if (!impl.require_writable() || (put.empty() && removed.empty())) return;
    auto request = std::make_unique<WriteRequest>();
    request->sync = false;
    request->build = [prefix = std::string(prefix), put = std::move(put),
                      removed = std::move(removed)](WriteTxn& txn) -> Result<void> {
        for (const auto& name : removed)
            if (keys::valid_component(name)) txn.del(StoreImpl::kDefault, prefix + name);
        for (const auto& [name, value] : put)
            if (keys::valid_component(name)) txn.put(StoreImpl::kDefault, prefix + name, value);
        return {};
    };
    impl.commit->submit(std::move(request));
}

}  // namespace ringpost::store
