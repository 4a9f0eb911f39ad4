// Users (users.hpp): the users CF plus, for exists() on ring threads, the
// in-memory set of addresses (StoreImpl::users), which follows a write only
// once its batch is durable. Adding a user creates the default mailboxes in
// the same batch; deleting one removes their mailboxes and messages with it.
#include <ctime>
#include <mutex>
#include <shared_mutex>

#include "store/keys.hpp"
#include "store/mailbox_common.hpp"
#include "store/store_impl.hpp"
#include "store/users.hpp"
#include "store/write_txn.hpp"
#include "util/log.hpp"

namespace ringpost::store {

Result<void> Users::add(const UserRecord& user) {
    if (auto w = impl_.require_writable(); !w) return w;
    std::string address = keys::lower_address(user.address);
    if (!keys::valid_component(address)) return make_error("invalid user address '" + user.address + "'");

    UserValue value{user.password_hash, user.created != 0 ? user.created : static_cast<int64_t>(std::time(nullptr))};
    return impl_.run_write([&](WriteTxn& txn) -> Result<void> {
        auto existing = txn.get(StoreImpl::kUsers, address);
        if (!existing) return existing.error();
        if (existing->has_value()) return make_error("user " + address + " already exists");
        // The default mailboxes go in the same batch (they do their reads first).
        if (auto r = impl_.add_default_mailboxes(txn, address); !r) return r.error();
        txn.put(StoreImpl::kUsers, address, encode_user(value));
        txn.after_commit([impl = &impl_, address] {
            std::unique_lock users_lock(impl->users_mu);
            impl->users.insert(address);
        });
        return {};
    });
}

Result<void> Users::remove(std::string_view address_in) {
    if (auto w = impl_.require_writable(); !w) return w;
    std::string address = keys::lower_address(address_in);
    if (!keys::valid_component(address)) return make_error("invalid user address");

    uint64_t messages = 0;
    auto deleted = impl_.run_write([&](WriteTxn& txn) -> Result<void> {
        auto existing = txn.get(StoreImpl::kUsers, address);
        if (!existing) return existing.error();
        if (!existing->has_value()) return make_error("no such user " + address);

        // One batch removes the user, every mailbox and message record, and
        // the references those messages held on shared bodies. Reads first.
        std::vector<std::string> mailbox_keys, orphan_keys;
        const std::string prefix = keys::user_prefix(address);
        auto scanned = txn.scan(StoreImpl::kMailboxes, prefix, [&](std::string_view key, std::string_view) {
            mailbox_keys.emplace_back(key);
            return true;
        });
        if (!scanned) return scanned;
        scanned = txn.scan(StoreImpl::kDefault, keys::orphan_subscription_prefix(address),
                           [&](std::string_view key, std::string_view) {
            orphan_keys.emplace_back(key);
            return true;
        });
        if (!scanned) return scanned;
        auto deleted_records = delete_message_records(txn, prefix);  // its reads, then its writes
        if (!deleted_records) return deleted_records.error();

        for (const auto& key : mailbox_keys) txn.delete_meta(key);  // the cache forgets them too
        for (const auto& key : orphan_keys) txn.del(StoreImpl::kDefault, key);
        txn.del(StoreImpl::kUsers, address);
        messages = *deleted_records;
        txn.after_commit([impl = &impl_, address] {
            std::unique_lock users_lock(impl->users_mu);
            impl->users.erase(address);
        });
        return {};
    });
    if (!deleted) return deleted;
    log::info("user_deleted", {{"user", address}, {"messages", messages}});
    return {};
}

Result<std::vector<UserRecord>> Users::list() {
    std::vector<UserRecord> out;
    Result<void> bad{};
    auto r = impl_.scan(StoreImpl::kUsers, "", [&](std::string_view key, std::string_view value) {
        auto u = decode_user(value);
        if (!u) {
            bad = u.error();
            return false;
        }
        out.push_back(UserRecord{std::string(key), std::move(u->password_hash), u->created});
        return true;
    });
    if (!r) return r.error();
    if (!bad) return bad.error();
    return out;
}

Result<std::optional<UserRecord>> Users::get(std::string_view address_in) {
    std::string address = keys::lower_address(address_in);
    auto stored = impl_.get(StoreImpl::kUsers, address);
    if (!stored) return stored.error();
    if (!stored->has_value()) return std::optional<UserRecord>();
    auto u = decode_user(**stored);
    if (!u) return u.error();
    return std::optional<UserRecord>(UserRecord{address, std::move(u->password_hash), u->created});
}

bool Users::exists(std::string_view address_in) {
    std::string address = keys::lower_address(address_in);
    if (impl_.options.read_only) {
        auto stored = impl_.get(StoreImpl::kUsers, address);
        return stored && stored->has_value();
    }
    std::shared_lock lock(impl_.users_mu);
    return impl_.users.count(address) != 0;
}

}  // namespace ringpost::store
