// The message half of the mailbox API for POP3 and IMAP (mailboxes.hpp):
// listings and reads, flag changes, expunge, copy/move and append.
//
// Reads take no lock; the ones that read more than one key (a listing with
// its meta, a record with its body) read through one snapshot. Each write is
// one request of the commit stage (StoreImpl::run_write): its
// read-modify-write -- records, the mailbox counters (messages, bytes,
// unseen), UIDs and body reference counts -- runs on the commit thread
// against the database plus the batch being built, so it never interleaves
// with another write or a local delivery, shares the batch's one fsync, and
// is durable when the call returns.
#include <algorithm>
#include <ctime>
#include <memory>

#include "store/keys.hpp"
#include "store/mailbox_common.hpp"
#include "store/message_format.hpp"
#include "store/write_txn.hpp"
#include "util/log.hpp"

namespace ringpost::store {
namespace {

// The UID of a message key (its last 4 bytes).
uint32_t key_uid(const rocksdb::Slice& key) {
    return keys::get_be32(std::string_view(key.data() + key.size() - 4, 4));
}

std::vector<uint32_t> sorted_unique(std::vector<uint32_t> uids) {
    std::sort(uids.begin(), uids.end());
    uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
    return uids;
}

// Calls fn(uid, key, value) for each UID of `uids` (ascending, unique) that
// has a record under `prefix` (= keys::message_prefix), in order, until fn
// returns false. Seeks only where the next wanted UID is not the next key,
// so a dense range costs one seek.
using UidFn = std::function<bool(uint32_t uid, std::string_view key, std::string_view value)>;
Result<void> visit_uids(WriteTxn& txn, const std::string& prefix, const std::vector<uint32_t>& uids,
                        const UidFn& fn) {
    if (uids.empty()) return {};
    rocksdb::ReadOptions ro;
    std::string upper = keys::prefix_successor(prefix);
    rocksdb::Slice upper_slice(upper);
    ro.iterate_upper_bound = &upper_slice;
    auto it = txn.iterator(StoreImpl::kMessages, ro);
    bool positioned = false;
    std::string key = prefix;
    for (uint32_t uid : uids) {
        if (!positioned || (it->Valid() && key_uid(it->key()) < uid)) {
            key.resize(prefix.size());
            keys::put_be32(key, uid);
            it->Seek(key);
            positioned = true;
        }
        // Nothing at or after uid (the batch's half may not honour the bound).
        if (!it->Valid() || !it->key().starts_with(prefix)) break;
        if (it->key().size() != prefix.size() + 4 || key_uid(it->key()) != uid) continue;
        if (!fn(uid, std::string_view(it->key().data(), it->key().size()),
                std::string_view(it->value().data(), it->value().size())))
            return {};
        it->Next();
    }
    if (!it->status().ok()) return db_error("reading messages", it->status());
    return {};
}

// The meta of a mailbox a write puts messages into: stored, or -- INBOX
// only, which always exists for the protocols -- a fresh one (created).
Result<MailboxMeta> target_meta(WriteTxn& txn, const std::string& key, std::string_view name, bool& created) {
    StoreImpl& impl = txn.impl();
    created = false;
    auto meta = txn.read_meta(key);
    if (!meta) return meta.error();
    if (meta->has_value()) return **meta;
    if (name != keys::kInbox) return no_such_mailbox(name);
    MailboxMeta fresh;
    fresh.uidvalidity = impl.allocate_uidvalidity();
    fresh.subscribed = true;
    created = true;
    return fresh;
}

Error uids_exhausted(std::string_view name) {
    return make_error("mailbox '" + std::string(name) + "' has run out of UIDs", kUidsExhausted);
}

// The messages to remove: the listed UIDs, or every message if `uids` is
// null, skipping those without kFlagDeleted if require_deleted. Reads only.
struct Removal {
    uint32_t uid;
    std::string key;
    MessageRecord msg;
};
Result<std::vector<Removal>> find_removals(WriteTxn& txn, const std::string& prefix, const std::vector<uint32_t>* uids,
                                           bool require_deleted) {
    std::vector<Removal> out;
    Result<void> bad{};
    auto remove = [&](uint32_t uid, std::string_view key, std::string_view value) {
        auto msg = decode_message(value);
        if (!msg) {
            bad = msg.error();
            return false;
        }
        if (require_deleted && !(msg->flags & kFlagDeleted)) return true;
        out.push_back(Removal{uid, std::string(key), std::move(msg).value()});
        return true;
    };
    Result<void> r{};
    if (uids) {
        r = visit_uids(txn, prefix, *uids, remove);
    } else {
        r = txn.scan(StoreImpl::kMessages, prefix, [&](std::string_view key, std::string_view value) {
            if (key.size() != prefix.size() + 4) return true;  // not a message key
            return remove(keys::get_be32(key.substr(prefix.size())), key, value);
        });
    }
    if (!r) return r.error();
    if (!bad) return bad.error();
    return out;
}

}  // namespace

// --- reads ---

Result<MailboxContents> Mailboxes::list_messages(std::string_view user_in, std::string_view mailbox) {
    auto user = mailbox_user(user_in);
    if (!user) return user.error();
    if (auto c = check_mailbox_name(mailbox); !c) return c.error();
    SnapshotGuard snapshot(impl_.db, /*take=*/!impl_.options.read_only);
    auto meta = impl_.read_meta(keys::mailbox_key(*user, mailbox), snapshot.get());
    if (!meta) return meta.error();
    if (!meta->has_value()) return no_such_mailbox(mailbox);

    MailboxContents out;
    out.info = to_mailbox_info(mailbox, **meta);
    out.messages.reserve(std::min<uint64_t>((*meta)->messages, 1u << 20));  // a damaged count cannot exhaust memory
    const std::string prefix = keys::message_prefix(*user, mailbox);
    Result<void> bad{};
    auto r = impl_.scan(StoreImpl::kMessages, prefix, [&](std::string_view key, std::string_view value) {
        if (key.size() != prefix.size() + 4) return true;  // not a message key
        auto head = decode_message_head(value);
        if (!head) {
            bad = head.error();
            return false;
        }
        out.messages.push_back(
            MessageEntry{keys::get_be32(key.substr(prefix.size())), head->flags, head->size, head->internal_date});
        return true;
    }, snapshot.get());
    if (!r) return r.error();
    if (!bad) return bad.error();
    for (const auto& m : out.messages) out.info.recent += m.uid > out.info.recent_floor ? 1 : 0;
    return out;
}

Result<std::optional<MessageRecord>> Mailboxes::get_message_record(std::string_view user_in, std::string_view mailbox,
                                                               uint32_t uid) {
    auto user = mailbox_user(user_in);
    if (!user) return user.error();
    if (auto c = check_mailbox_name(mailbox); !c) return c.error();
    SnapshotGuard snapshot(impl_.db, /*take=*/!impl_.options.read_only);
    auto stored = impl_.get(StoreImpl::kMessages, keys::message_key(*user, mailbox, uid), snapshot.get());
    if (!stored) return stored.error();
    if (!stored->has_value()) return std::optional<MessageRecord>();
    auto msg = decode_message(**stored);
    if (!msg) return msg.error();
    if (msg->summary.empty()) {
        // Stored before summaries existed: computed now (not stored; a read
        // takes no lock).
        auto body = impl_.get(StoreImpl::kBodies, msg->queue_id, snapshot.get());
        if (!body) return body.error();
        if (body->has_value()) msg->summary = message_summary(msg->prefix, **body);
    }
    return std::optional<MessageRecord>(std::move(msg).value());
}

Result<std::optional<std::string>> Mailboxes::read_message(std::string_view user, std::string_view mailbox,
                                                       uint32_t uid) {
    return read_message_range(user, mailbox, uid, 0, UINT64_MAX);
}

Result<std::optional<std::string>> Mailboxes::read_message_range(std::string_view user_in, std::string_view mailbox,
                                                             uint32_t uid, uint64_t offset, uint64_t length) {
    using Found = std::optional<std::string>;
    auto user = mailbox_user(user_in);
    if (!user) return user.error();
    if (auto c = check_mailbox_name(mailbox); !c) return c.error();
    SnapshotGuard snapshot(impl_.db, /*take=*/!impl_.options.read_only);
    auto stored = impl_.get(StoreImpl::kMessages, keys::message_key(*user, mailbox, uid), snapshot.get());
    if (!stored) return stored.error();
    if (!stored->has_value()) return Found();
    auto msg = decode_message(**stored);
    if (!msg) return msg.error();

    // Pinned: the body is not copied, only the part asked for.
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot.get();
    rocksdb::PinnableSlice body;
    rocksdb::Status s = impl_.db->Get(ro, impl_.cf(StoreImpl::kBodies), msg->queue_id, &body);
    if (s.IsNotFound())
        return make_error("body " + msg->queue_id + " of " + std::string(mailbox) + " UID " + std::to_string(uid) +
                          " is missing");
    if (!s.ok()) return db_error("reading a message body", s);

    const std::string_view prefix = msg->prefix;
    const std::string_view bytes(body.data(), body.size());
    const uint64_t total = prefix.size() + bytes.size();
    if (offset >= total) return Found(std::string());
    const uint64_t end = length >= total - offset ? total : offset + length;
    std::string out;
    out.reserve(end - offset);
    if (offset < prefix.size()) out.append(prefix.substr(offset, std::min<uint64_t>(end, prefix.size()) - offset));
    if (end > prefix.size()) {
        const uint64_t from = std::max<uint64_t>(offset, prefix.size()) - prefix.size();
        out.append(bytes.substr(from, end - prefix.size() - from));
    }
    return Found(std::move(out));
}

// --- writes ---

namespace {

using Changed = std::vector<std::pair<uint32_t, uint32_t>>;

// set_flags() and change_flags(): the new flags of each message in `uids`
// (ascending, unique) are flags_of(uid, old flags). flags_of runs on the
// commit thread against the flags as the batch leaves them, so concurrent
// STOREs on one message never lose each other's bits.
Result<Changed> update_flags(StoreImpl& impl, std::string_view user_in, std::string_view mailbox,
                             const std::vector<uint32_t>& uids,
                             const std::function<uint32_t(uint32_t uid, uint32_t old)>& flags_of) {
    auto user = mailbox_user(user_in);
    if (!user) return user.error();
    if (auto c = check_mailbox_name(mailbox); !c) return c.error();
    const std::string meta_key = keys::mailbox_key(*user, mailbox);

    return impl.write<Changed>([&](WriteTxn& txn) -> Result<Changed> {
        auto stored_meta = txn.read_meta(meta_key);
        if (!stored_meta) return stored_meta.error();
        if (!stored_meta->has_value()) return no_such_mailbox(mailbox);
        MailboxMeta meta = **stored_meta;

        std::vector<std::pair<std::string, MessageRecord>> updates;
        Changed changed;
        Result<void> bad{};
        auto r = visit_uids(txn, keys::message_prefix(*user, mailbox), uids,
                            [&](uint32_t uid, std::string_view key, std::string_view value) {
            auto msg = decode_message(value);
            if (!msg) {
                bad = msg.error();
                return false;
            }
            const uint32_t now = flags_of(uid, msg->flags);
            if (msg->flags == now) return true;
            const bool was_seen = msg->flags & kFlagSeen, is_seen = now & kFlagSeen;
            if (was_seen && !is_seen) meta.unseen += 1;
            if (!was_seen && is_seen) meta.unseen -= meta.unseen > 0 ? 1 : 0;
            msg->flags = now;
            updates.emplace_back(std::string(key), std::move(msg).value());
            changed.emplace_back(uid, now);
            return true;
        });
        if (!r) return r.error();
        if (!bad) return bad.error();
        for (const auto& [key, msg] : updates) txn.put(StoreImpl::kMessages, key, encode_message(msg));
        if (meta.unseen != (*stored_meta)->unseen) txn.put_meta(meta_key, meta);
        return changed;
    });
}

}  // namespace

Result<std::vector<std::pair<uint32_t, uint32_t>>> Mailboxes::set_flags(
    std::string_view user, std::string_view mailbox, const std::vector<std::pair<uint32_t, uint32_t>>& flags) {
    std::map<uint32_t, uint32_t> wanted;  // uid -> flags; the last value listed wins
    for (const auto& [uid, f] : flags) wanted[uid] = f;
    std::vector<uint32_t> uids;
    uids.reserve(wanted.size());
    for (const auto& entry : wanted) uids.push_back(entry.first);
    return update_flags(impl_, user, mailbox, uids, [&](uint32_t uid, uint32_t) { return wanted[uid]; });
}

Result<std::vector<std::pair<uint32_t, uint32_t>>> Mailboxes::change_flags(std::string_view user,
                                                                       std::string_view mailbox,
                                                                       const std::vector<uint32_t>& uids,
                                                                       uint32_t add, uint32_t remove) {
    return update_flags(impl_, user, mailbox, sorted_unique(uids),
                        [=](uint32_t, uint32_t old) { return (old | add) & ~remove; });
}

namespace {

// expunge() and expunge_deleted(): uids null = every message.
Result<std::vector<uint32_t>> expunge_messages(StoreImpl& impl, std::string_view user_in, std::string_view mailbox,
                                               const std::vector<uint32_t>* uids, bool require_deleted) {
    auto user = mailbox_user(user_in);
    if (!user) return user.error();
    if (auto c = check_mailbox_name(mailbox); !c) return c.error();
    const std::string meta_key = keys::mailbox_key(*user, mailbox);
    const std::string prefix = keys::message_prefix(*user, mailbox);

    return impl.write<std::vector<uint32_t>>([&](WriteTxn& txn) -> Result<std::vector<uint32_t>> {
        auto stored_meta = txn.read_meta(meta_key);
        if (!stored_meta) return stored_meta.error();
        if (!stored_meta->has_value()) return no_such_mailbox(mailbox);
        MailboxMeta meta = **stored_meta;

        auto found = find_removals(txn, prefix, uids, require_deleted);
        if (!found) return found.error();
        std::vector<uint32_t> removed;
        if (found->empty()) return removed;
        std::map<std::string, uint64_t> drops;  // qid -> references to drop
        for (const auto& r : *found) drops[r.msg.queue_id] += 1;
        if (auto d = txn.drop_body_refs(drops); !d) return d.error();  // reads, then writes

        removed.reserve(found->size());
        for (const auto& r : *found) {
            txn.del(StoreImpl::kMessages, r.key);
            uncount_message(meta, r.msg.size, r.msg.flags);
            removed.push_back(r.uid);
        }
        txn.put_meta(meta_key, meta);
        impl.count_removed_messages(txn, prefix, removed.size(), meta.messages);
        return removed;
    });
}

}  // namespace

Result<std::vector<uint32_t>> Mailboxes::expunge(std::string_view user, std::string_view mailbox,
                                             const std::vector<uint32_t>& uids, bool require_deleted) {
    const std::vector<uint32_t> listed = sorted_unique(uids);
    return expunge_messages(impl_, user, mailbox, &listed, require_deleted);
}

Result<std::vector<uint32_t>> Mailboxes::expunge_deleted(std::string_view user, std::string_view mailbox) {
    return expunge_messages(impl_, user, mailbox, nullptr, /*require_deleted=*/true);
}

Result<uint32_t> Mailboxes::claim_recent(std::string_view user_in, std::string_view mailbox, uint32_t uidvalidity,
                                    uint32_t upto) {
    if (auto w = impl_.require_writable(); !w) return w.error();
    auto user = mailbox_user(user_in);
    if (!user) return user.error();
    if (auto c = check_mailbox_name(mailbox); !c) return c.error();
    const std::string meta_key = keys::mailbox_key(*user, mailbox);
    // Nothing left to claim (every SELECT after the first) is answered from
    // the committed meta, without a request: the floor only grows, so if it
    // already reaches `upto`, the floor the commit thread would see does too.
    if (auto committed = impl_.read_meta(meta_key); committed && committed->has_value() &&
        (*committed)->uidvalidity == uidvalidity && upto <= (*committed)->recent_floor)
        return (*committed)->recent_floor;

    return impl_.write<uint32_t>([&](WriteTxn& txn) -> Result<uint32_t> {
        auto stored = txn.read_meta(meta_key);
        if (!stored) return stored.error();
        if (!stored->has_value() || (*stored)->uidvalidity != uidvalidity) return no_such_mailbox(mailbox);
        MailboxMeta meta = **stored;
        const uint32_t before = meta.recent_floor;
        const uint32_t claimed = std::min(upto, meta.uidnext - 1);
        if (claimed <= before) return before;
        meta.recent_floor = claimed;
        txn.put_meta(meta_key, meta);
        return before;
    });
}

namespace {

// copy_messages() and move_messages(): one request either way.
Result<CopyResult> transfer(StoreImpl& impl, std::string_view user_in, std::string_view from,
                            const std::vector<uint32_t>& uids_in, std::string_view to, bool move) {
    auto user = mailbox_user(user_in);
    if (!user) return user.error();
    if (auto c = check_mailbox_name(from); !c) return c.error();
    if (auto c = check_mailbox_name(to); !c) return c.error();
    const std::vector<uint32_t> uids = sorted_unique(uids_in);
    const std::string from_key = keys::mailbox_key(*user, from), to_key = keys::mailbox_key(*user, to);

    return impl.write<CopyResult>([&](WriteTxn& txn) -> Result<CopyResult> {
        // One entry when from == to: the counters of both sides add up in it.
        MetaMap metas;
        auto from_meta = txn.read_meta(from_key);
        if (!from_meta) return from_meta.error();
        if (!from_meta->has_value()) return no_such_mailbox(from, kNoSuchSourceMailbox);
        metas[from_key] = **from_meta;
        bool created = false;
        if (to_key != from_key) {
            auto meta = target_meta(txn, to_key, to, created);
            if (!meta) return meta.error();
            metas[to_key] = std::move(meta).value();
        }

        // Read every record first: the UID check needs their number.
        std::vector<std::pair<uint32_t, MessageRecord>> found;
        Result<void> bad{};
        auto r = visit_uids(txn, keys::message_prefix(*user, from), uids,
                            [&](uint32_t uid, std::string_view, std::string_view value) {
            auto msg = decode_message(value);
            if (!msg) {
                bad = msg.error();
                return false;
            }
            found.emplace_back(uid, std::move(msg).value());
            return true;
        });
        if (!r) return r.error();
        if (!bad) return bad.error();
        MailboxMeta& dest = metas[to_key];
        CopyResult out;
        out.uidvalidity = dest.uidvalidity;
        if (found.empty()) return out;  // nothing to do (and no INBOX to create)
        if (found.size() > UINT32_MAX - dest.uidnext) return uids_exhausted(to);

        std::map<std::string, uint64_t> added;  // qid -> new references (copy only)
        if (!move) {
            for (const auto& [uid, msg] : found) added[msg.queue_id] += 1;
        }
        std::vector<std::pair<std::string, uint64_t>> refs;  // qid -> new count
        for (const auto& [qid, n] : added) {
            auto stored = txn.read_body_refs(qid);
            if (!stored) return stored.error();
            if (stored.value() == 0) log::warn("body_refs_missing", {{"qid", qid}});
            refs.emplace_back(qid, adjusted_refcount(qid, stored.value(), n, 0));
        }

        // --- writes: nothing below can fail ---
        MailboxMeta& source = metas[from_key];
        out.uids.reserve(found.size());
        for (auto& [uid, msg] : found) {
            const uint32_t new_uid = dest.uidnext++;
            if (to_key != from_key) msg.flags = carry_keywords(msg.flags, source.keywords, dest.keywords);
            txn.put(StoreImpl::kMessages, keys::message_key(*user, to, new_uid), encode_message(msg));
            count_message(dest, msg.size, msg.flags);
            if (move) {
                txn.del(StoreImpl::kMessages, keys::message_key(*user, from, uid));
                uncount_message(source, msg.size, msg.flags);
            }
            out.uids.emplace_back(uid, new_uid);
        }
        for (const auto& [qid, count] : refs) txn.set_body_refs(qid, count);
        for (const auto& [key, meta] : metas) txn.put_meta(key, meta);
        if (created) impl.put_uidvalidity_last(txn);
        if (move) impl.count_removed_messages(txn, keys::message_prefix(*user, from), found.size(), source.messages);
        return out;
    });
}

}  // namespace

Result<CopyResult> Mailboxes::copy_messages(std::string_view user, std::string_view from,
                                        const std::vector<uint32_t>& uids, std::string_view to) {
    return transfer(impl_, user, from, uids, to, /*move=*/false);
}

Result<CopyResult> Mailboxes::move_messages(std::string_view user, std::string_view from,
                                        const std::vector<uint32_t>& uids, std::string_view to) {
    return transfer(impl_, user, from, uids, to, /*move=*/true);
}

Result<AppendResult> Mailboxes::append_message(std::string_view user_in, std::string_view mailbox, std::string_view data,
                                           uint32_t flags, int64_t internal_date) {
    auto user = mailbox_user(user_in);
    if (!user) return user.error();
    if (auto c = check_mailbox_name(mailbox); !c) return c.error();

    // The parsing is done here, on the caller's thread, not the commit thread.
    MessageRecord msg;
    msg.size = data.size();
    msg.internal_date = internal_date != 0 ? internal_date : static_cast<int64_t>(std::time(nullptr));
    msg.flags = flags;
    msg.subject = extract_subject(data);
    msg.summary = message_summary("", data);
    const std::string meta_key = keys::mailbox_key(*user, mailbox);

    return impl_.write<AppendResult>([&](WriteTxn& txn) -> Result<AppendResult> {
        bool created = false;
        auto meta = target_meta(txn, meta_key, mailbox, created);
        if (!meta) return meta.error();
        if (meta->uidnext == UINT32_MAX) return uids_exhausted(mailbox);
        // A fresh queue ID never names a stored body; checked all the same,
        // since sharing one would corrupt its reference count.
        msg.queue_id = new_queue_id();
        auto existing = txn.get(StoreImpl::kBodyRefs, msg.queue_id);
        if (!existing) return existing.error();
        if (existing->has_value()) return make_error("queue id " + msg.queue_id + " already in the store");

        const uint32_t uid = meta->uidnext++;
        count_message(*meta, msg.size, msg.flags);
        txn.put(StoreImpl::kBodies, msg.queue_id, data);
        txn.put(StoreImpl::kBodyRefs, msg.queue_id, encode_refcount(1));  // this message's reference
        txn.put(StoreImpl::kMessages, keys::message_key(*user, mailbox, uid), encode_message(msg));
        txn.put_meta(meta_key, *meta);
        if (created) impl_.put_uidvalidity_last(txn);
        return AppendResult{meta->uidvalidity, uid};
    }, data.size());
}

}  // namespace ringpost::store
