// Greylisting's records: encoding and the two ways in (greylist_records.hpp).
#include "store/greylist_records.hpp"

#include "store/keys.hpp"
#include "store/unsynced_records.hpp"

namespace ringpost::store {
namespace {

constexpr size_t kGreylistValueSize = 8 + 8 + 4 + 1;

// be64(first_ms) be64(last_ms) be32(count) u8(flags: 1 = confirmed).
std::string encode(const GreylistRecord& r) {
    std::string v;
    keys::put_be64(v, static_cast<uint64_t>(r.first_ms));
    keys::put_be64(v, static_cast<uint64_t>(r.last_ms));
    keys::put_be32(v, r.count);
    v.push_back(r.confirmed ? 1 : 0);
    return v;
}

std::optional<GreylistRecord> decode(std::string_view name, std::string_view value) {
    if (value.size() < kGreylistValueSize) return std::nullopt;
    GreylistRecord r;
    r.key = std::string(name);
    r.first_ms = static_cast<int64_t>(keys::get_be64(value));
    r.last_ms = static_cast<int64_t>(keys::get_be64(value.substr(8)));
    r.count = keys::get_be32(value.substr(16));
    r.confirmed = (value[20] & 1) != 0;
    return r;
}

}  // namespace

Result<std::vector<GreylistRecord>> GreylistRecords::load() {
    std::vector<GreylistRecord> out;
    auto r = load_unsynced(impl_, keys::kGreylistPrefix, [&](std::string_view name, std::string_view value) {
        if (auto record = decode(name, value)) out.push_back(std::move(*record));
    });
    if (!r) return r.error();
    return out;
}

void GreylistRecords::save(std::vector<GreylistRecord> put, std::vector<std::string> removed) {
    std::vector<std::pair<std::string, std::string>> encoded;
    encoded.reserve(put.size());
    for (const auto& record : put) encoded.emplace_back(record.key, encode(record));
    save_unsynced(impl_, keys::kGreylistPrefix, std::move(encoded), std::move(removed));
}

}  // namespace ringpost::store
