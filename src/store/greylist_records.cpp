// Greylisting's records: encoding and the two ways in (greylist_records.hpp).
#include "store/greylist_records.hpp"

#include "store/keys.hpp"
#include "store/store_impl.hpp"
#include "store/write_txn.hpp"

namespace ringpost::store {
namespace {

constexpr size_t kValueSize = 8 + 8 + 4 + 1;

// be64(first_ms) be64(last_ms) be32(count) u8(flags: 1 = confirmed).
std::string encode(const GreylistRecord& r) {
    std::string v;
    keys::put_be64(v, static_cast<uint64_t>(r.first_ms));
    keys::put_be64(v, static_cast<uint64_t>(r.last_ms));
    keys::put_be32(v, r.count);
    v.push_back(r.confirmed ? 1 : 0);
    return v;
}

std::optional<GreylistRecord> decode(std::string_view key, std::string_view value) {
    if (value.size() < kValueSize || !key.starts_with(keys::kGreylistPrefix)) return std::nullopt;
    GreylistRecord r;
    r.key = std::string(key.substr(keys::kGreylistPrefix.size()));
    r.first_ms = static_cast<int64_t>(keys::get_be64(value));
    r.last_ms = static_cast<int64_t>(keys::get_be64(value.substr(8)));
    r.count = keys::get_be32(value.substr(16));
    r.confirmed = (value[20] & 1) != 0;
    return r;
}

}  // namespace

Result<std::vector<GreylistRecord>> GreylistRecords::load() {
    std::vector<GreylistRecord> out;
    auto r = impl_.scan(StoreImpl::kDefault, keys::kGreylistPrefix, [&](std::string_view key, std::string_view value) {
        if (auto record = decode(key, value)) out.push_back(std::move(*record));
        return true;
    });
    if (!r) return r.error();
    return out;
}

void GreylistRecords::save(std::vector<GreylistRecord> put, std::vector<std::string> removed) {
    if (!impl_.require_writable() || (put.empty() && removed.empty())) return;
    auto request = std::make_unique<WriteRequest>();
    request->sync = false;
    request->build = [put = std::move(put), removed = std::move(removed)](WriteTxn& txn) -> Result<void> {
        for (const auto& key : removed)
            if (keys::valid_component(key)) txn.del(StoreImpl::kDefault, keys::greylist_key(key));
        for (const auto& record : put)
            if (keys::valid_component(record.key))
                txn.put(StoreImpl::kDefault, keys::greylist_key(record.key), encode(record));
        return {};
    };
    impl_.commit->submit(std::move(request));
}

}  // namespace ringpost::store
