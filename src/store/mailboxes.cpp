// Mailbox management for POP3 and IMAP (store.hpp, "the mailbox API"):
// listing, create, delete, rename, subscriptions and the default mailboxes,
// plus the UIDVALIDITY counter and the meta helpers shared with the message
// half (mailbox_messages.cpp) and the commit thread (inbox_writer.cpp).
//
// Every write holds write_mu around its read-modify-write and commits one
// synced batch; the meta cache follows only once that batch is durable.
// UIDVALIDITY comes from one store-wide counter, max(now, last + 1), kept in
// the default CF and written in the same batch as the mailbox that uses it,
// so a name deleted and created again (or INBOX after a rename) always gets
// a greater value, across restarts too.
#include <algorithm>
#include <ctime>
#include <optional>
#include <utility>

#include "store/keys.hpp"
#include "store/mailbox_common.hpp"
#include "util/log.hpp"

namespace ringpost::store {
namespace {

struct DefaultMailbox {
    std::string_view name;
    std::string_view special_use;
};
constexpr DefaultMailbox kDefaultMailboxes[] = {
    {keys::kInbox, ""}, {"Sent", "\\Sent"}, {"Drafts", "\\Drafts"}, {"Trash", "\\Trash"}, {"Junk", "\\Junk"},
};

bool equal_nocase(std::string_view a, std::string_view b) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

// The attribute as kSpecialUses spells it (IMAP flags are case-insensitive),
// "" for none; nullopt if unsupported.
std::optional<std::string_view> canonical_special_use(std::string_view attribute) {
    if (attribute.empty()) return attribute;
    for (std::string_view known : kSpecialUses)
        if (equal_nocase(attribute, known)) return known;
    return std::nullopt;
}

bool is_inbox(std::string_view name) { return name == keys::kInbox; }

// A mailbox created (or renamed) under a name subscribed without a mailbox
// takes that subscription over: the orphan's delete goes into `batch`;
// true if there was one. write_mu held.
Result<bool> take_orphan_subscription(const Store::Impl& impl, rocksdb::WriteBatch& batch, const std::string& user,
                                      std::string_view name) {
    const std::string key = keys::orphan_subscription_key(user, name);
    auto orphan = impl.get(Store::Impl::kDefault, key);
    if (!orphan) return orphan.error();
    if (!orphan->has_value()) return false;
    batch.Delete(impl.cf(Store::Impl::kDefault), key);
    return true;
}

}  // namespace

// --- shared helpers (mailbox_common.hpp) ---

Result<std::string> mailbox_user(std::string_view user_in) {
    std::string user = keys::lower_address(user_in);
    if (!keys::valid_component(user)) return make_error("invalid user name");
    return user;
}

Result<void> check_mailbox_name(std::string_view name) {
    if (!keys::valid_mailbox_name(name))
        return make_error("invalid mailbox name '" + std::string(name) + "'", kInvalidMailboxName);
    return {};
}

Error no_such_mailbox(std::string_view name, StoreErrc code) {
    return make_error("no such mailbox '" + std::string(name) + "'", code);
}

Error mailbox_exists(std::string_view name) {
    return make_error("mailbox '" + std::string(name) + "' already exists", kMailboxExists);
}

MailboxInfo to_mailbox_info(std::string_view name, const MailboxMeta& meta) {
    return MailboxInfo{std::string(name), meta.uidvalidity, meta.uidnext,   meta.messages,
                       meta.unseen,       meta.bytes,       meta.subscribed, meta.special_use,
                       meta.keywords,     meta.recent_floor, 0};
}

Result<uint64_t> count_recent(const Store::Impl& impl, const std::string& user, std::string_view name,
                              const MailboxMeta& meta) {
    if (meta.recent_floor >= meta.uidnext - 1 || meta.messages == 0) return uint64_t{0};
    // The message keys sort by UID: seek past the floor and count the rest.
    const std::string prefix = keys::message_prefix(user, name);
    rocksdb::ReadOptions ro;
    std::string upper = keys::prefix_successor(prefix);
    rocksdb::Slice upper_slice(upper);
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(impl.db->NewIterator(ro, impl.cf(Store::Impl::kMessages)));
    uint64_t n = 0;
    for (it->Seek(keys::message_key(user, name, meta.recent_floor + 1)); it->Valid(); it->Next())
        if (it->key().size() == prefix.size() + 4) ++n;
    if (!it->status().ok()) return db_error("counting recent messages", it->status());
    return n;
}

// --- Impl helpers ---

uint32_t Store::Impl::allocate_uidvalidity() {
    const auto now = static_cast<uint32_t>(std::time(nullptr));
    if (uidvalidity_last != UINT32_MAX) uidvalidity_last = std::max(now, uidvalidity_last + 1);
    return uidvalidity_last;
}

void Store::Impl::put_uidvalidity_last(rocksdb::WriteBatch& batch) {
    batch.Put(cf(kDefault), rocksdb::Slice(keys::kUidValidityLast.data(), keys::kUidValidityLast.size()),
              encode_refcount(uidvalidity_last));
}

Result<std::optional<MailboxMeta>> Store::Impl::read_meta(std::string_view key,
                                                          const rocksdb::Snapshot* snapshot) const {
    auto stored = get(kMailboxes, key, snapshot);
    if (!stored) return stored.error();
    if (!stored->has_value()) return std::optional<MailboxMeta>();
    auto meta = decode_mailbox_meta(**stored);
    if (!meta) return meta.error();
    return std::optional<MailboxMeta>(std::move(meta).value());
}

void Store::Impl::cache_metas(const MetaMap& written, const std::vector<std::string>& deleted) {
    // Only entries the commit thread already caches are refreshed: it reads
    // the rest from the database when it needs them.
    for (const auto& key : deleted) meta_cache.erase(key);
    for (const auto& [key, meta] : written)
        if (auto it = meta_cache.find(key); it != meta_cache.end()) it->second = meta;
}

Result<size_t> Store::Impl::add_default_mailboxes(rocksdb::WriteBatch& batch, const std::string& user,
                                                  MetaMap& written) {
    uint32_t uidvalidity = 0;  // one value serves every mailbox created here (each name once)
    size_t created = 0;
    for (const auto& def : kDefaultMailboxes) {
        std::string key = keys::mailbox_key(user, def.name);
        auto existing = read_meta(key);
        if (!existing) return existing.error();
        if (existing->has_value()) continue;
        if (uidvalidity == 0) uidvalidity = allocate_uidvalidity();
        auto orphan = take_orphan_subscription(*this, batch, user, def.name);
        if (!orphan) return orphan.error();
        MailboxMeta meta;
        meta.uidvalidity = uidvalidity;
        meta.subscribed = true;
        meta.special_use = def.special_use;
        batch.Put(cf(kMailboxes), key, encode_mailbox_meta(meta));
        written[std::move(key)] = std::move(meta);
        ++created;
    }
    if (created != 0) put_uidvalidity_last(batch);
    return created;
}

// --- reads ---

Result<std::vector<MailboxInfo>> Store::list_mailboxes(std::string_view user_in) {
    auto user = mailbox_user(user_in);
    if (!user) return user.error();
    const std::string prefix = keys::user_prefix(*user);
    std::vector<MailboxInfo> out;
    Result<void> bad{};
    auto r = impl_->scan(Impl::kMailboxes, prefix, [&](std::string_view key, std::string_view value) {
        std::string_view name = key.substr(prefix.size());
        auto meta = decode_mailbox_meta(value);
        if (!meta) {
            bad = make_error("mailbox '" + std::string(name) + "': " + meta.error().message);
            return false;
        }
        out.push_back(to_mailbox_info(name, *meta));
        auto recent = count_recent(*impl_, *user, name, *meta);
        if (!recent) {
            bad = recent.error();
            return false;
        }
        out.back().recent = *recent;
        return true;
    });
    if (!r) return r.error();
    if (!bad) return bad.error();
    return out;
}

Result<std::vector<std::string>> Store::list_orphan_subscriptions(std::string_view user_in) {
    auto user = mailbox_user(user_in);
    if (!user) return user.error();
    const std::string prefix = keys::orphan_subscription_prefix(*user);
    std::vector<std::string> out;
    auto r = impl_->scan(Impl::kDefault, prefix, [&](std::string_view key, std::string_view) {
        out.emplace_back(key.substr(prefix.size()));
        return true;
    });
    if (!r) return r.error();
    return out;
}

Result<std::optional<MailboxInfo>> Store::mailbox_info(std::string_view user_in, std::string_view name) {
    auto user = mailbox_user(user_in);
    if (!user) return user.error();
    if (auto c = check_mailbox_name(name); !c) return c.error();
    auto meta = impl_->read_meta(keys::mailbox_key(*user, name));
    if (!meta) return meta.error();
    if (!meta->has_value()) return std::optional<MailboxInfo>();
    MailboxInfo info = to_mailbox_info(name, **meta);
    auto recent = count_recent(*impl_, *user, name, **meta);
    if (!recent) return recent.error();
    info.recent = *recent;
    return std::optional<MailboxInfo>(std::move(info));
}

// --- writes ---

Result<MailboxInfo> Store::create_mailbox(std::string_view user_in, std::string_view name,
                                          std::string_view special_use) {
    if (auto w = impl_->require_writable(); !w) return w.error();
    auto user = mailbox_user(user_in);
    if (!user) return user.error();
    if (auto c = check_mailbox_name(name); !c) return c.error();
    auto use = canonical_special_use(special_use);
    if (!use) return make_error("unsupported special-use attribute '" + std::string(special_use) + "'", kBadSpecialUse);

    std::lock_guard lock(impl_->write_mu);
    std::string key = keys::mailbox_key(*user, name);
    auto existing = impl_->read_meta(key);
    if (!existing) return existing.error();
    if (existing->has_value()) return mailbox_exists(name);

    rocksdb::WriteBatch batch;
    auto orphan = take_orphan_subscription(*impl_, batch, *user, name);
    if (!orphan) return orphan.error();
    MailboxMeta meta;
    meta.uidvalidity = impl_->allocate_uidvalidity();
    meta.special_use = *use;
    meta.subscribed = *orphan;
    batch.Put(impl_->cf(Impl::kMailboxes), key, encode_mailbox_meta(meta));
    impl_->put_uidvalidity_last(batch);
    if (auto w = impl_->write_synced(batch, "creating mailbox " + std::string(name)); !w) return w.error();
    impl_->cache_metas({{key, meta}});
    log::info("mailbox_created", {{"user", *user}, {"mailbox", name}, {"uidvalidity", meta.uidvalidity}});
    return to_mailbox_info(name, meta);
}

Result<void> Store::delete_mailbox(std::string_view user_in, std::string_view name) {
    if (auto w = impl_->require_writable(); !w) return w;
    auto user = mailbox_user(user_in);
    if (!user) return user.error();
    if (auto c = check_mailbox_name(name); !c) return c;
    if (is_inbox(name)) return make_error("INBOX cannot be deleted", kCannotDeleteInbox);

    std::lock_guard lock(impl_->write_mu);
    std::string key = keys::mailbox_key(*user, name);
    auto existing = impl_->read_meta(key);
    if (!existing) return existing.error();
    if (!existing->has_value()) return no_such_mailbox(name);

    rocksdb::WriteBatch batch;
    std::map<std::string, uint64_t> drops;  // qid -> references to drop
    uint64_t messages = 0;
    Result<void> bad{};
    auto scanned = impl_->scan(Impl::kMessages, keys::message_prefix(*user, name),
                               [&](std::string_view msg_key, std::string_view value) {
        auto msg = decode_message(value);
        if (!msg) {
            bad = msg.error();
            return false;
        }
        drops[msg->queue_id] += 1;
        ++messages;
        batch.Delete(impl_->cf(Impl::kMessages), rocksdb::Slice(msg_key.data(), msg_key.size()));
        return true;
    });
    if (!scanned) return scanned;
    if (!bad) return bad;
    batch.Delete(impl_->cf(Impl::kMailboxes), key);
    // RFC 3501 6.3.6: the subscription outlives the mailbox.
    if ((*existing)->subscribed) batch.Put(impl_->cf(Impl::kDefault), keys::orphan_subscription_key(*user, name), "");
    if (auto r = impl_->drop_body_refs(batch, drops); !r) return r;
    if (auto w = impl_->write_synced(batch, "deleting mailbox " + std::string(name)); !w) return w;
    impl_->cache_metas({}, {key});
    log::info("mailbox_deleted", {{"user", *user}, {"mailbox", name}, {"messages", messages}});
    return {};
}

Result<void> Store::rename_mailbox(std::string_view user_in, std::string_view from, std::string_view to) {
    if (auto w = impl_->require_writable(); !w) return w;
    auto user = mailbox_user(user_in);
    if (!user) return user.error();
    if (auto c = check_mailbox_name(from); !c) return c;
    if (auto c = check_mailbox_name(to); !c) return c;
    if (is_inbox(to)) return make_error("INBOX always exists", kMailboxExists);
    const std::string from_children = std::string(from) + keys::kHierarchyDelimiter;
    // INBOX's children stay where they are, so only other names have a subtree to move.
    if (!is_inbox(from) && to.substr(0, from_children.size()) == from_children)
        return make_error("cannot rename mailbox '" + std::string(from) + "' under itself", kInvalidMailboxName);

    std::lock_guard lock(impl_->write_mu);
    const std::string from_key = keys::mailbox_key(*user, from);
    auto from_meta = impl_->read_meta(from_key);
    if (!from_meta) return from_meta.error();
    if (!from_meta->has_value()) return no_such_mailbox(from);

    // (old name, new name, meta): the mailbox itself, then its children.
    struct Move {
        std::string from, to;
        MailboxMeta meta;
    };
    std::vector<Move> moves{{std::string(from), std::string(to), **from_meta}};
    if (!is_inbox(from)) {
        const std::string prefix = keys::mailbox_key(*user, from_children);
        const size_t name_at = keys::user_prefix(*user).size();
        Result<void> bad{};
        auto r = impl_->scan(Impl::kMailboxes, prefix, [&](std::string_view key, std::string_view value) {
            std::string_view child = key.substr(name_at);
            auto meta = decode_mailbox_meta(value);
            if (!meta) {
                bad = make_error("mailbox '" + std::string(child) + "': " + meta.error().message);
                return false;
            }
            moves.push_back({std::string(child), std::string(to) + std::string(child.substr(from.size())),
                             std::move(meta).value()});
            return true;
        });
        if (!r) return r;
        if (!bad) return bad;
    }
    // No new name may exist: then old and new keys never overlap, and the
    // deletes and puts below can go in any order.
    for (const auto& m : moves) {
        if (auto c = check_mailbox_name(m.to); !c) return c;
        auto existing = impl_->read_meta(keys::mailbox_key(*user, m.to));
        if (!existing) return existing.error();
        if (existing->has_value()) return mailbox_exists(m.to);
    }

    rocksdb::WriteBatch batch;
    MetaMap written;
    std::vector<std::string> deleted;
    uint64_t messages = 0;
    for (const auto& m : moves) {
        auto r = impl_->scan(Impl::kMessages, keys::message_prefix(*user, m.from),
                             [&](std::string_view key, std::string_view value) {
            uint32_t uid = keys::get_be32(key.substr(key.size() - 4));
            batch.Delete(impl_->cf(Impl::kMessages), rocksdb::Slice(key.data(), key.size()));
            batch.Put(impl_->cf(Impl::kMessages), keys::message_key(*user, m.to, uid),
                      rocksdb::Slice(value.data(), value.size()));
            ++messages;
            return true;
        });
        if (!r) return r;
        std::string old_key = keys::mailbox_key(*user, m.from), new_key = keys::mailbox_key(*user, m.to);
        auto orphan = take_orphan_subscription(*impl_, batch, *user, m.to);
        if (!orphan) return orphan.error();
        MailboxMeta meta = m.meta;
        meta.subscribed = meta.subscribed || *orphan;
        batch.Delete(impl_->cf(Impl::kMailboxes), old_key);
        batch.Put(impl_->cf(Impl::kMailboxes), new_key, encode_mailbox_meta(meta));
        deleted.push_back(std::move(old_key));
        written[std::move(new_key)] = meta;
    }
    if (is_inbox(from)) {
        // RFC 3501 6.3.5: an empty INBOX stays behind, under a new UIDVALIDITY.
        MailboxMeta inbox;
        inbox.uidvalidity = impl_->allocate_uidvalidity();
        inbox.subscribed = (*from_meta)->subscribed;
        inbox.special_use = (*from_meta)->special_use;
        batch.Put(impl_->cf(Impl::kMailboxes), from_key, encode_mailbox_meta(inbox));
        impl_->put_uidvalidity_last(batch);
        written[from_key] = inbox;
    }
    if (auto w = impl_->write_synced(batch, "renaming mailbox " + std::string(from)); !w) return w;
    impl_->cache_metas(written, deleted);
    log::info("mailbox_renamed", {{"user", *user},
                                  {"from", from},
                                  {"to", to},
                                  {"mailboxes", static_cast<uint64_t>(moves.size())},
                                  {"messages", messages}});
    return {};
}

Result<void> Store::set_subscribed(std::string_view user_in, std::string_view name, bool subscribed) {
    if (auto w = impl_->require_writable(); !w) return w;
    auto user = mailbox_user(user_in);
    if (!user) return user.error();
    if (auto c = check_mailbox_name(name); !c) return c;

    std::lock_guard lock(impl_->write_mu);
    std::string key = keys::mailbox_key(*user, name);
    auto meta = impl_->read_meta(key);
    if (!meta) return meta.error();
    if (!meta->has_value()) {
        // No mailbox: the subscription of the bare name (RFC 3501 6.3.6).
        const std::string orphan_key = keys::orphan_subscription_key(*user, name);
        auto orphan = impl_->get(Impl::kDefault, orphan_key);
        if (!orphan) return orphan.error();
        if (!subscribed && !orphan->has_value()) return no_such_mailbox(name);
        if (orphan->has_value() == subscribed) return {};
        rocksdb::WriteBatch batch;
        if (subscribed)
            batch.Put(impl_->cf(Impl::kDefault), orphan_key, "");
        else
            batch.Delete(impl_->cf(Impl::kDefault), orphan_key);
        return impl_->write_synced(batch, (subscribed ? "subscribing " : "unsubscribing ") + std::string(name));
    }
    if ((*meta)->subscribed == subscribed) return {};
    (*meta)->subscribed = subscribed;
    rocksdb::WriteBatch batch;
    batch.Put(impl_->cf(Impl::kMailboxes), key, encode_mailbox_meta(**meta));
    if (auto w = impl_->write_synced(batch, "subscribing mailbox " + std::string(name)); !w) return w;
    impl_->cache_metas({{key, **meta}});
    return {};
}

Result<size_t> Store::ensure_default_mailboxes(std::string_view user_in) {
    if (auto w = impl_->require_writable(); !w) return w.error();
    auto user = mailbox_user(user_in);
    if (!user) return user.error();

    std::lock_guard lock(impl_->write_mu);
    rocksdb::WriteBatch batch;
    MetaMap written;
    auto created = impl_->add_default_mailboxes(batch, *user, written);
    if (!created) return created.error();
    if (created.value() == 0) return created;
    if (auto w = impl_->write_synced(batch, "creating the default mailboxes of " + *user); !w) return w.error();
    impl_->cache_metas(written);
    log::info("mailboxes_defaulted", {{"user", *user}, {"created", static_cast<uint64_t>(created.value())}});
    return created;
}

}  // namespace ringpost::store
