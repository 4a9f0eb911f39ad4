// The screening cache's records: encoding and the two ways in
// (screen_records.hpp).
#include "store/screen_records.hpp"

#include "store/keys.hpp"
#include "store/unsynced_records.hpp"

namespace ringpost::store {
namespace {

constexpr size_t kScreenValueSize = 8 + 8 + 1;

// be64(dnsbl_until_ms) be64(pregreet_until_ms) u8(flags: 1 = allow-listed).
std::string encode(const ScreenRecord& r) {
    std::string v;
    keys::put_be64(v, static_cast<uint64_t>(r.dnsbl_until_ms));
    keys::put_be64(v, static_cast<uint64_t>(r.pregreet_until_ms));
    v.push_back(r.allowlisted ? 1 : 0);
    return v;
}

}  // namespace

Result<std::vector<ScreenRecord>> ScreenRecords::load() {
    std::vector<ScreenRecord> out;
    auto r = load_unsynced(impl_, keys::kScreenPrefix, [&](std::string_view name, std::string_view value) {
        if (value.size() < kScreenValueSize) return;
        out.push_back(ScreenRecord{std::string(name), static_cast<int64_t>(keys::get_be64(value)),
                                   static_cast<int64_t>(keys::get_be64(value.substr(8))), (value[16] & 1) != 0});
    });
    if (!r) return r.error();
    return out;
}

void ScreenRecords::save(std::vector<ScreenRecord> put, std::vector<std::string> removed) {
    std::vector<std::pair<std::string, std::string>> encoded;
    encoded.reserve(put.size());
    for (const auto& record : put) encoded.emplace_back(record.ip, encode(record));
    save_unsynced(impl_, keys::kScreenPrefix, std::move(encoded), std::move(removed));
}

}  // namespace ringpost::store
