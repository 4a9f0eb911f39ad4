// Delivery suspensions (Spool::suspend/resume/suspensions): small records
// in the default column family, written through the commit stage like
// every other write. With the event log on, each writes its "suspended" or
// "resumed" event in the same batch.
#include "store/keys.hpp"
#include "store/spool.hpp"
#include "store/store_impl.hpp"
#include "store/write_txn.hpp"

namespace ringpost::store {
namespace {

std::string encode_suspension(const Suspension& s) {
    std::string v;
    keys::put_be64(v, static_cast<uint64_t>(s.until));
    keys::put_be64(v, static_cast<uint64_t>(s.since));
    v += s.reason;
    return v;
}

std::optional<Suspension> decode_suspension(std::string_view key, std::string_view value) {
    if (value.size() < 16 || !key.starts_with(keys::kSuspensionPrefix)) return std::nullopt;
    Suspension s;
    s.target = std::string(key.substr(keys::kSuspensionPrefix.size()));
    s.until = static_cast<int64_t>(keys::get_be64(value));
    s.since = static_cast<int64_t>(keys::get_be64(value.substr(8)));
    s.reason = std::string(value.substr(16));
    return s;
}

}  // namespace

Result<void> Spool::suspend(const Suspension& s) {
    if (!keys::valid_component(s.target)) return make_error("a suspension needs a target without NUL bytes");
    if (auto w = impl_.require_writable(); !w) return w.error();
    return impl_.run_write([&](WriteTxn& txn) -> Result<void> {
        txn.put(StoreImpl::kDefault, keys::suspension_key(s.target), encode_suspension(s));
        if (txn.impl().events.options.enabled) {
            Event e;
            e.type = "suspended";
            e.site = s.target;
            e.until = s.until;
            e.reason = s.reason;
            append_event(txn, std::move(e));
        }
        return {};
    });
}

Result<bool> Spool::resume(std::string_view target) {
    if (auto w = impl_.require_writable(); !w) return w.error();
    return impl_.write<bool>([&](WriteTxn& txn) -> Result<bool> {
        const std::string key = keys::suspension_key(target);
        auto existing = txn.get(StoreImpl::kDefault, key);
        if (!existing) return existing.error();
        if (!*existing) return false;
        txn.del(StoreImpl::kDefault, key);
        if (txn.impl().events.options.enabled) {
            Event e;
            e.type = "resumed";
            e.site = std::string(target);
            append_event(txn, std::move(e));
        }
        return true;
    });
}

Result<std::vector<Suspension>> Spool::suspensions() {
    std::vector<Suspension> out;
    auto r = impl_.scan(StoreImpl::kDefault, keys::kSuspensionPrefix, [&](std::string_view key, std::string_view value) {
        if (auto s = decode_suspension(key, value)) out.push_back(std::move(*s));
        return true;
    });
    if (!r) return r.error();
    return out;
}

}  // namespace ringpost::store
