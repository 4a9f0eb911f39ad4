// Store's blocking API -- users, spool and mailbox reads, and the writes that
// do not come from SMTP (add/delete user, delete a queued message) -- plus
// the small helpers shared with the commit thread's writers and recover().
//
// Blocking writers are requests of the commit stage (run_write): their
// read-modify-write runs on the commit thread against the batch being
// built, so a body reference count or mailbox meta is never updated from
// two places at once, and they share the batch's one fsync.
#include <algorithm>
#include <charconv>
#include <ctime>
#include <future>

#include "store/keys.hpp"
#include "store/mailbox_common.hpp"
#include "store/store_impl.hpp"
#include "store/write_txn.hpp"
#include "util/log.hpp"

namespace ringpost::store {

// --- helpers ---

Result<void> Store::Impl::require_writable() const {
    if (options.read_only) return make_error("store " + options.path + " is open read-only");
    return {};
}

Result<std::optional<std::string>> Store::Impl::get(Cf which, std::string_view key,
                                                    const rocksdb::Snapshot* snapshot) const {
    std::string value;
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot;
    rocksdb::Status s = db->Get(ro, cf(which), rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return db_error(std::string("reading ") + cf(which)->GetName(), s);
    return std::optional<std::string>(std::move(value));
}

Result<void> Store::Impl::scan(Cf which, std::string_view prefix, const ScanFn& fn,
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

Result<void> Store::Impl::write_synced(rocksdb::WriteBatch& batch, std::string_view what) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    rocksdb::Status s = db->Write(wo, &batch);
    if (!s.ok()) return db_error(what, s);
    return {};
}

void Store::Impl::count_removed_messages(WriteTxn& txn, const std::string& prefix, uint64_t removed, uint64_t live) {
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

Result<void> Store::Impl::run_write(std::function<Result<void>(WriteTxn&)> build, size_t bytes) {
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

// --- users ---

Result<void> Store::add_user(const UserRecord& user) {
    if (auto w = impl_->require_writable(); !w) return w;
    std::string address = keys::lower_address(user.address);
    if (!keys::valid_component(address)) return make_error("invalid user address '" + user.address + "'");

    UserValue value{user.password_hash, user.created != 0 ? user.created : static_cast<int64_t>(std::time(nullptr))};
    return impl_->run_write([&](WriteTxn& txn) -> Result<void> {
        auto existing = txn.get(Impl::kUsers, address);
        if (!existing) return existing.error();
        if (existing->has_value()) return make_error("user " + address + " already exists");
        // The default mailboxes go in the same batch (they do their reads first).
        if (auto r = impl_->add_default_mailboxes(txn, address); !r) return r.error();
        txn.put(Impl::kUsers, address, encode_user(value));
        txn.after_commit([impl = impl_.get(), address] {
            std::unique_lock users_lock(impl->users_mu);
            impl->users.insert(address);
        });
        return {};
    });
}

Result<void> Store::delete_user(std::string_view address_in) {
    if (auto w = impl_->require_writable(); !w) return w;
    std::string address = keys::lower_address(address_in);
    if (!keys::valid_component(address)) return make_error("invalid user address");

    uint64_t messages = 0;
    auto deleted = impl_->run_write([&](WriteTxn& txn) -> Result<void> {
        auto existing = txn.get(Impl::kUsers, address);
        if (!existing) return existing.error();
        if (!existing->has_value()) return make_error("no such user " + address);

        // One batch removes the user, every mailbox and message record, and
        // the references those messages held on shared bodies. Reads first.
        std::vector<std::string> mailbox_keys, orphan_keys;
        const std::string prefix = keys::user_prefix(address);
        auto scanned = txn.scan(Impl::kMailboxes, prefix, [&](std::string_view key, std::string_view) {
            mailbox_keys.emplace_back(key);
            return true;
        });
        if (!scanned) return scanned;
        scanned = txn.scan(Impl::kDefault, keys::orphan_subscription_prefix(address),
                           [&](std::string_view key, std::string_view) {
            orphan_keys.emplace_back(key);
            return true;
        });
        if (!scanned) return scanned;
        auto deleted_records = delete_message_records(txn, prefix);  // its reads, then its writes
        if (!deleted_records) return deleted_records.error();

        for (const auto& key : mailbox_keys) txn.delete_meta(key);  // the cache forgets them too
        for (const auto& key : orphan_keys) txn.del(Impl::kDefault, key);
        txn.del(Impl::kUsers, address);
        messages = *deleted_records;
        txn.after_commit([impl = impl_.get(), address] {
            std::unique_lock users_lock(impl->users_mu);
            impl->users.erase(address);
        });
        return {};
    });
    if (!deleted) return deleted;
    log::info("user_deleted", {{"user", address}, {"messages", messages}});
    return {};
}

Result<std::vector<UserRecord>> Store::list_users() {
    std::vector<UserRecord> out;
    Result<void> bad{};
    auto r = impl_->scan(Impl::kUsers, "", [&](std::string_view key, std::string_view value) {
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

Result<std::optional<UserRecord>> Store::get_user(std::string_view address_in) {
    std::string address = keys::lower_address(address_in);
    auto stored = impl_->get(Impl::kUsers, address);
    if (!stored) return stored.error();
    if (!stored->has_value()) return std::optional<UserRecord>();
    auto u = decode_user(**stored);
    if (!u) return u.error();
    return std::optional<UserRecord>(UserRecord{address, std::move(u->password_hash), u->created});
}

bool Store::user_exists(std::string_view address_in) {
    std::string address = keys::lower_address(address_in);
    if (impl_->options.read_only) {
        auto stored = impl_->get(Impl::kUsers, address);
        return stored && stored->has_value();
    }
    std::shared_lock lock(impl_->users_mu);
    return impl_->users.count(address) != 0;
}

// --- spool ---

Result<std::vector<mail::Envelope>> Store::list_queue(size_t limit) {
    std::vector<mail::Envelope> out;
    Result<void> bad{};
    auto r = impl_->scan(Impl::kEnvelopes, "", [&](std::string_view, std::string_view value) {
        auto env = decode_envelope(value);
        if (!env) {
            bad = env.error();
            return false;
        }
        out.push_back(std::move(env).value());
        return limit == 0 || out.size() < limit;
    });
    if (!r) return r.error();
    if (!bad) return bad.error();
    return out;
}

Result<std::optional<mail::Envelope>> Store::get_envelope(std::string_view queue_id) {
    auto stored = impl_->get(Impl::kEnvelopes, queue_id);
    if (!stored) return stored.error();
    if (!stored->has_value()) return std::optional<mail::Envelope>();
    auto env = decode_envelope(**stored);
    if (!env) return env.error();
    return std::optional<mail::Envelope>(std::move(env).value());
}

Result<std::optional<std::string>> Store::get_body(std::string_view queue_id) {
    return impl_->get(Impl::kBodies, queue_id);
}

Result<void> Store::delete_queued(std::string_view queue_id) {
    if (auto w = impl_->require_writable(); !w) return w;
    auto deleted = impl_->run_write([&](WriteTxn& txn) -> Result<void> {
        auto stored = txn.get(Impl::kEnvelopes, queue_id);
        if (!stored) return stored.error();
        if (!stored->has_value()) return make_error("queue id " + std::string(queue_id) + " is not in the queue");
        auto env = decode_envelope(**stored);
        if (!env) return env.error();
        if (auto r = txn.drop_body_refs({{std::string(queue_id), 1}}); !r) return r;  // reads, then writes
        txn.del(Impl::kEnvelopes, queue_id);
        txn.del(Impl::kSchedule, keys::schedule_key(env->next_attempt, queue_id));
        return {};
    });
    if (!deleted) return deleted;
    log::info("queue_deleted", {{"qid", queue_id}});
    return {};
}

Result<QueueStats> Store::queue_stats() {
    QueueStats stats;
    Result<void> bad{};
    auto r = impl_->scan(Impl::kEnvelopes, "", [&](std::string_view, std::string_view value) {
        auto env = decode_envelope(value);
        if (!env) {
            bad = env.error();
            return false;
        }
        stats.messages += 1;
        stats.bytes += env->body_size;
        for (const auto& rc : env->recipients)
            if (rc.state == mail::RcptState::kQueued || rc.state == mail::RcptState::kDeferred)
                stats.recipients_pending += 1;
        if (stats.oldest == 0 || env->received_at < stats.oldest) stats.oldest = env->received_at;
        return true;
    });
    if (!r) return r.error();
    if (!bad) return bad.error();
    return stats;
}

// --- mailboxes ---

namespace {

MailboxMessage to_mailbox_message(const keys::MessageKey& key, MessageRecord&& rec) {
    MailboxMessage m;
    m.user = key.user;
    m.mailbox = key.mailbox;
    m.uid = key.uid;
    m.id = rec.queue_id + "." + std::to_string(key.uid);
    m.queue_id = std::move(rec.queue_id);
    m.size = rec.size;
    m.internal_date = rec.internal_date;
    m.flags = rec.flags;
    m.subject = std::move(rec.subject);
    return m;
}

}  // namespace

Result<std::vector<MailboxMessage>> Store::list_mailbox(std::string_view user_in, std::string_view mailbox) {
    std::string user = keys::lower_address(user_in);
    if (!keys::valid_component(user) || !keys::valid_component(mailbox)) return make_error("invalid user or mailbox name");
    std::vector<MailboxMessage> out;
    Result<void> bad{};
    auto r = impl_->scan(Impl::kMessages, keys::message_prefix(user, mailbox),
                         [&](std::string_view key, std::string_view value) {
        auto parsed = keys::parse_message_key(key);
        auto rec = decode_message(value);
        if (!parsed || !rec) {
            bad = rec ? make_error("corrupt message key") : rec.error();
            return false;
        }
        out.push_back(to_mailbox_message(*parsed, std::move(rec).value()));
        return true;
    });
    if (!r) return r.error();
    if (!bad) return bad.error();
    return out;
}

Result<std::optional<std::string>> Store::get_mailbox_message(std::string_view user_in, std::string_view id) {
    using Found = std::optional<std::string>;
    std::string user = keys::lower_address(user_in);
    if (!keys::valid_component(user)) return make_error("invalid user name");

    // id = "<queue_id>.<uid>"; anything else cannot name a message.
    size_t dot = id.find('.');
    if (dot == std::string_view::npos) return Found();
    std::string_view qid = id.substr(0, dot), uid_text = id.substr(dot + 1);
    uint32_t uid = 0;
    auto [end, ec] = std::from_chars(uid_text.data(), uid_text.data() + uid_text.size(), uid);
    if (!is_valid_queue_id(qid) || ec != std::errc() || end != uid_text.data() + uid_text.size() || uid == 0)
        return Found();

    // The id does not name the mailbox: try INBOX, then the user's others.
    std::vector<std::string> mailboxes{std::string(keys::kInbox)};
    const std::string prefix = keys::user_prefix(user);
    auto r = impl_->scan(Impl::kMailboxes, prefix, [&](std::string_view key, std::string_view) {
        std::string_view name = key.substr(prefix.size());
        if (name != keys::kInbox) mailboxes.emplace_back(name);
        return true;
    });
    if (!r) return r.error();

    for (const auto& mailbox : mailboxes) {
        auto stored = impl_->get(Impl::kMessages, keys::message_key(user, mailbox, uid));
        if (!stored) return stored.error();
        if (!stored->has_value()) continue;
        auto rec = decode_message(**stored);
        if (!rec) return rec.error();
        if (rec->queue_id != qid) continue;
        auto body = impl_->get(Impl::kBodies, qid);
        if (!body) return body.error();
        if (!body->has_value()) return make_error("body " + std::string(qid) + " of message " + std::string(id) + " is missing");
        std::string out = std::move(rec->prefix);
        out += **body;
        return Found(std::move(out));
    }
    return Found();
}

}  // namespace ringpost::store
