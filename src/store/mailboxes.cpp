// Mailbox management for POP3 and IMAP (mailboxes.hpp, "the mailbox API"):
// listing, create, delete, rename, subscriptions and the default mailboxes,
// plus the UIDVALIDITY counter and the meta helpers shared with the message
// half (mailbox_messages.cpp) and the commit thread (inbox_writer.cpp).
//
// Every write is one request of the commit stage (StoreImpl::run_write):
// its read-modify-write runs on the commit thread against the batch being
// built, and the meta cache follows only once that batch is durable.
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
#include "store/write_txn.hpp"
#include "util/log.hpp"

namespace ringpost::store {
namespace {

struct DefaultMailbox {
    std::string_view name;
    std::string_view special_use;
};
constexpr DefaultMailbox kDefaultMailboxes[] = {
    {keys::kInbox, ""}, {"Sent", "\\Sent"}, {"Drafts", "\\Drafts"}, {"Trash", "\\Trash"}, {keys::kJunk, kJunkUse},
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
// takes that subscription over: true if there was one. Read only; the
// caller deletes the orphan (drop_orphan) with its other writes.
Result<bool> has_orphan_subscription(WriteTxn& txn, const std::string& user, std::string_view name) {
    auto orphan = txn.get(StoreImpl::kDefault, keys::orphan_subscription_key(user, name));
    if (!orphan) return orphan.error();
    return orphan->has_value();
}

void drop_orphan(WriteTxn& txn, const std::string& user, std::string_view name) {
    txn.del(StoreImpl::kDefault, keys::orphan_subscription_key(user, name));
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

Result<uint64_t> count_recent(const StoreImpl& impl, const std::string& user, std::string_view name,
                              const MailboxMeta& meta) {
    if (meta.recent_floor >= meta.uidnext - 1 || meta.messages == 0) return uint64_t{0};
    // The message keys sort by UID: seek past the floor and count the rest.
    const std::string prefix = keys::message_prefix(user, name);
    rocksdb::ReadOptions ro;
    std::string upper = keys::prefix_successor(prefix);
    rocksdb::Slice upper_slice(upper);
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(impl.db->NewIterator(ro, impl.cf(StoreImpl::kMessages)));
    uint64_t n = 0;
    for (it->Seek(keys::message_key(user, name, meta.recent_floor + 1)); it->Valid(); it->Next())
        if (it->key().size() == prefix.size() + 4) ++n;
    if (!it->status().ok()) return db_error("counting recent messages", it->status());
    return n;
}

Result<uint64_t> delete_message_records(WriteTxn& txn, const std::string& prefix) {
    std::vector<std::string> message_keys;
    std::map<std::string, uint64_t> drops;  // qid -> references to drop
    Result<void> bad{};
    auto scanned = txn.scan(StoreImpl::kMessages, prefix, [&](std::string_view key, std::string_view value) {
        auto msg = decode_message(value);
        if (!msg) {
            bad = msg.error();
            return false;
        }
        drops[msg->queue_id] += 1;
        message_keys.emplace_back(key);
        return true;
    });
    if (!scanned) return scanned.error();
    if (!bad) return bad.error();
    if (auto r = txn.drop_body_refs(drops); !r) return r.error();  // reads, then writes
    for (const auto& key : message_keys) txn.del(StoreImpl::kMessages, key);
    return message_keys.size();
}

// --- Impl helpers ---

uint32_t StoreImpl::allocate_uidvalidity() {
    const auto now = static_cast<uint32_t>(std::time(nullptr));
    if (uidvalidity_last != UINT32_MAX) uidvalidity_last = std::max(now, uidvalidity_last + 1);
    return uidvalidity_last;
}

void StoreImpl::put_uidvalidity_last(WriteTxn& txn) {
    txn.put(kDefault, keys::kUidValidityLast, encode_refcount(uidvalidity_last));
}

Result<std::optional<MailboxMeta>> StoreImpl::read_meta(std::string_view key,
                                                          const rocksdb::Snapshot* snapshot) const {
    auto stored = get(kMailboxes, key, snapshot);
    if (!stored) return stored.error();
    if (!stored->has_value()) return std::optional<MailboxMeta>();
    auto meta = decode_mailbox_meta(**stored);
    if (!meta) return meta.error();
    return std::optional<MailboxMeta>(std::move(meta).value());
}

Result<size_t> StoreImpl::add_default_mailboxes(WriteTxn& txn, const std::string& user) {
    // Reads first: which are missing, and which take an orphan subscription.
    struct Missing {
        std::string key;
        const DefaultMailbox* def;
        bool orphan;
    };
    std::vector<Missing> missing;
    for (const auto& def : kDefaultMailboxes) {
        std::string key = keys::mailbox_key(user, def.name);
        auto existing = txn.read_meta(key);
        if (!existing) return existing.error();
        if (existing->has_value()) continue;
        auto orphan = has_orphan_subscription(txn, user, def.name);
        if (!orphan) return orphan.error();
        missing.push_back({std::move(key), &def, *orphan});
    }
    if (missing.empty()) return size_t{0};
    const uint32_t uidvalidity = allocate_uidvalidity();  // one value serves every mailbox created here (each name once)
    for (const auto& m : missing) {
        if (m.orphan) drop_orphan(txn, user, m.def->name);
        MailboxMeta meta;
        meta.uidvalidity = uidvalidity;
        meta.subscribed = true;
        meta.special_use = m.def->special_use;
        txn.put_meta(m.key, meta);
    }
    put_uidvalidity_last(txn);
    return missing.size();
}

// --- reads ---

Result<std::vector<MailboxInfo>> Mailboxes::list_mailboxes(std::string_view user_in) {
    auto user = mailbox_user(user_in);
    if (!user) return user.error();
    const std::string prefix = keys::user_prefix(*user);
    std::vector<MailboxInfo> out;
    Result<void> bad{};
    auto r = impl_.scan(StoreImpl::kMailboxes, prefix, [&](std::string_view key, std::string_view value) {
        std::string_view name = key.substr(prefix.size());
        auto meta = decode_mailbox_meta(value);
        if (!meta) {
            bad = make_error("mailbox '" + std::string(name) + "': " + meta.error().message);
            return false;
        }
        out.push_back(to_mailbox_info(name, *meta));
        auto recent = count_recent(impl_, *user, name, *meta);
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

Result<std::vector<std::string>> Mailboxes::list_orphan_subscriptions(std::string_view user_in) {
    auto user = mailbox_user(user_in);
    if (!user) return user.error();
    const std::string prefix = keys::orphan_subscription_prefix(*user);
    std::vector<std::string> out;
    auto r = impl_.scan(StoreImpl::kDefault, prefix, [&](std::string_view key, std::string_view) {
        out.emplace_back(key.substr(prefix.size()));
        return true;
    });
    if (!r) return r.error();
    return out;
}

Result<std::optional<MailboxInfo>> Mailboxes::mailbox_info(std::string_view user_in, std::string_view name) {
    auto user = mailbox_user(user_in);
    if (!user) return user.error();
    if (auto c = check_mailbox_name(name); !c) return c.error();
    auto meta = impl_.read_meta(keys::mailbox_key(*user, name));
    if (!meta) return meta.error();
    if (!meta->has_value()) return std::optional<MailboxInfo>();
    MailboxInfo info = to_mailbox_info(name, **meta);
    auto recent = count_recent(impl_, *user, name, **meta);
    if (!recent) return recent.error();
    info.recent = *recent;
    return std::optional<MailboxInfo>(std::move(info));
}

// --- writes ---

Result<MailboxInfo> Mailboxes::create_mailbox(std::string_view user_in, std::string_view name,
                                          std::string_view special_use) {
    if (auto w = impl_.require_writable(); !w) return w.error();
    auto user = mailbox_user(user_in);
    if (!user) return user.error();
    if (auto c = check_mailbox_name(name); !c) return c.error();
    auto use = canonical_special_use(special_use);
    if (!use) return make_error("unsupported special-use attribute '" + std::string(special_use) + "'", kBadSpecialUse);

    const std::string key = keys::mailbox_key(*user, name);
    auto created = impl_.write<MailboxMeta>([&](WriteTxn& txn) -> Result<MailboxMeta> {
        auto existing = txn.read_meta(key);
        if (!existing) return existing.error();
        if (existing->has_value()) return mailbox_exists(name);
        auto orphan = has_orphan_subscription(txn, *user, name);
        if (!orphan) return orphan.error();
        MailboxMeta meta;
        meta.uidvalidity = impl_.allocate_uidvalidity();
        meta.special_use = *use;
        meta.subscribed = *orphan;
        if (*orphan) drop_orphan(txn, *user, name);
        txn.put_meta(key, meta);
        impl_.put_uidvalidity_last(txn);
        return meta;
    });
    if (!created) return created.error();
    log::info("mailbox_created", {{"user", *user}, {"mailbox", name}, {"uidvalidity", created->uidvalidity}});
    return to_mailbox_info(name, *created);
}

Result<void> Mailboxes::delete_mailbox(std::string_view user_in, std::string_view name) {
    if (auto w = impl_.require_writable(); !w) return w;
    auto user = mailbox_user(user_in);
    if (!user) return user.error();
    if (auto c = check_mailbox_name(name); !c) return c;
    if (is_inbox(name)) return make_error("INBOX cannot be deleted", kCannotDeleteInbox);

    const std::string key = keys::mailbox_key(*user, name);
    uint64_t messages = 0;
    auto deleted = impl_.run_write([&](WriteTxn& txn) -> Result<void> {
        auto existing = txn.read_meta(key);
        if (!existing) return existing.error();
        if (!existing->has_value()) return no_such_mailbox(name);

        auto deleted_records = delete_message_records(txn, keys::message_prefix(*user, name));
        if (!deleted_records) return deleted_records.error();
        messages = *deleted_records;
        txn.delete_meta(key);
        // RFC 3501 6.3.6: the subscription outlives the mailbox.
        if ((*existing)->subscribed) txn.put(StoreImpl::kDefault, keys::orphan_subscription_key(*user, name), "");
        return {};
    });
    if (!deleted) return deleted;
    log::info("mailbox_deleted", {{"user", *user}, {"mailbox", name}, {"messages", messages}});
    return {};
}

namespace {

// One mailbox a rename moves: the mailbox itself, then each child.
struct MailboxMove {
    std::string from, to;
    MailboxMeta meta;
};

// The children of `from` (the names under "from/"), each to its place
// under `to`, appended to `moves`.
Result<void> add_child_moves(WriteTxn& txn, const std::string& user, std::string_view from,
                             const std::string& from_children, std::string_view to, std::vector<MailboxMove>& moves) {
    const std::string prefix = keys::mailbox_key(user, from_children);
    const size_t name_at = keys::user_prefix(user).size();
    Result<void> bad{};
    auto r = txn.scan(StoreImpl::kMailboxes, prefix, [&](std::string_view key, std::string_view value) {
        std::string_view child = key.substr(name_at);
        auto meta = decode_mailbox_meta(value);
        if (!meta) {
            bad = make_error("mailbox '" + std::string(child) + "': " + meta.error().message);
            return false;
        }
        moves.push_back(
            {std::string(child), std::string(to) + std::string(child.substr(from.size())), std::move(meta).value()});
        return true;
    });
    if (!r) return r;
    return bad;
}

// No new name may exist: then old and new keys never overlap, and the
// deletes and puts of apply_moves can go in any order. Per move, whether
// its new name takes over an orphan subscription.
Result<std::vector<bool>> check_move_targets(WriteTxn& txn, const std::string& user,
                                             const std::vector<MailboxMove>& moves) {
    std::vector<bool> orphans;
    for (const auto& m : moves) {
        if (auto c = check_mailbox_name(m.to); !c) return c.error();
        auto existing = txn.read_meta(keys::mailbox_key(user, m.to));
        if (!existing) return existing.error();
        if (existing->has_value()) return mailbox_exists(m.to);
        auto orphan = has_orphan_subscription(txn, user, m.to);
        if (!orphan) return orphan.error();
        orphans.push_back(*orphan);
    }
    return orphans;
}

// The message records (key, value) of each move's mailbox.
using MoveRecords = std::vector<std::vector<std::pair<std::string, std::string>>>;

// Every record to move, read before anything is written.
Result<MoveRecords> read_move_records(WriteTxn& txn, const std::string& user, const std::vector<MailboxMove>& moves) {
    MoveRecords records(moves.size());
    for (size_t i = 0; i < moves.size(); ++i) {
        auto r = txn.scan(StoreImpl::kMessages, keys::message_prefix(user, moves[i].from),
                          [&](std::string_view key, std::string_view value) {
            records[i].emplace_back(key, value);
            return true;
        });
        if (!r) return r.error();
    }
    return records;
}

// The writes: each record and meta under its new name, the orphan
// subscriptions taken over. Returns the number of messages moved.
uint64_t apply_moves(WriteTxn& txn, const std::string& user, const std::vector<MailboxMove>& moves,
                     const std::vector<bool>& orphans, const MoveRecords& records) {
    uint64_t messages = 0;
    for (size_t i = 0; i < moves.size(); ++i) {
        const MailboxMove& m = moves[i];
        for (const auto& [key, value] : records[i]) {
            const uint32_t uid = keys::get_be32(std::string_view(key).substr(key.size() - 4));
            txn.del(StoreImpl::kMessages, key);
            txn.put(StoreImpl::kMessages, keys::message_key(user, m.to, uid), value);
        }
        messages += records[i].size();
        if (orphans[i]) drop_orphan(txn, user, m.to);
        MailboxMeta meta = m.meta;
        meta.subscribed = meta.subscribed || orphans[i];
        txn.delete_meta(keys::mailbox_key(user, m.from));
        txn.put_meta(keys::mailbox_key(user, m.to), meta);
    }
    return messages;
}

}  // namespace

Result<void> Mailboxes::rename_mailbox(std::string_view user_in, std::string_view from, std::string_view to) {
    if (auto w = impl_.require_writable(); !w) return w;
    auto user = mailbox_user(user_in);
    if (!user) return user.error();
    if (auto c = check_mailbox_name(from); !c) return c;
    if (auto c = check_mailbox_name(to); !c) return c;
    if (is_inbox(to)) return make_error("INBOX always exists", kMailboxExists);
    const std::string from_children = std::string(from) + keys::kHierarchyDelimiter;
    // INBOX's children stay where they are, so only other names have a subtree to move.
    if (!is_inbox(from) && to.substr(0, from_children.size()) == from_children)
        return make_error("cannot rename mailbox '" + std::string(from) + "' under itself", kInvalidMailboxName);

    std::vector<MailboxMove> moves;
    uint64_t messages = 0;
    auto renamed = impl_.run_write([&](WriteTxn& txn) -> Result<void> {
        const std::string from_key = keys::mailbox_key(*user, from);
        auto from_meta = txn.read_meta(from_key);
        if (!from_meta) return from_meta.error();
        if (!from_meta->has_value()) return no_such_mailbox(from);

        moves.assign(1, MailboxMove{std::string(from), std::string(to), **from_meta});
        if (!is_inbox(from)) {
            if (auto r = add_child_moves(txn, *user, from, from_children, to, moves); !r) return r;
        }
        auto orphans = check_move_targets(txn, *user, moves);
        if (!orphans) return orphans.error();
        auto records = read_move_records(txn, *user, moves);
        if (!records) return records.error();

        messages = apply_moves(txn, *user, moves, *orphans, *records);
        if (is_inbox(from)) {
            // RFC 3501 6.3.5: an empty INBOX stays behind, under a new UIDVALIDITY.
            MailboxMeta inbox;
            inbox.uidvalidity = impl_.allocate_uidvalidity();
            inbox.subscribed = (*from_meta)->subscribed;
            inbox.special_use = (*from_meta)->special_use;
            txn.put_meta(from_key, inbox);
            impl_.put_uidvalidity_last(txn);
        }
        return {};
    });
    if (!renamed) return renamed;
    log::info("mailbox_renamed", {{"user", *user},
                                  {"from", from},
                                  {"to", to},
                                  {"mailboxes", static_cast<uint64_t>(moves.size())},
                                  {"messages", messages}});
    return {};
}

Result<void> Mailboxes::set_subscribed(std::string_view user_in, std::string_view name, bool subscribed) {
    if (auto w = impl_.require_writable(); !w) return w;
    auto user = mailbox_user(user_in);
    if (!user) return user.error();
    if (auto c = check_mailbox_name(name); !c) return c;

    const std::string key = keys::mailbox_key(*user, name);
    return impl_.run_write([&](WriteTxn& txn) -> Result<void> {
        auto meta = txn.read_meta(key);
        if (!meta) return meta.error();
        if (!meta->has_value()) {
            // No mailbox: the subscription of the bare name (RFC 3501 6.3.6).
            auto orphan = has_orphan_subscription(txn, *user, name);
            if (!orphan) return orphan.error();
            if (!subscribed && !*orphan) return no_such_mailbox(name);
            if (*orphan == subscribed) return {};
            if (subscribed) txn.put(StoreImpl::kDefault, keys::orphan_subscription_key(*user, name), "");
            else drop_orphan(txn, *user, name);
            return {};
        }
        if ((*meta)->subscribed == subscribed) return {};
        (*meta)->subscribed = subscribed;
        txn.put_meta(key, **meta);
        return {};
    });
}

Result<size_t> Mailboxes::ensure_default_mailboxes(std::string_view user_in) {
    if (auto w = impl_.require_writable(); !w) return w.error();
    auto user = mailbox_user(user_in);
    if (!user) return user.error();

    // Every IMAP login asks; when all exist (the usual case) the committed
    // metas say so without a request to the commit stage.
    bool all_exist = true;
    for (const auto& def : kDefaultMailboxes) {
        auto meta = impl_.read_meta(keys::mailbox_key(*user, def.name));
        all_exist = all_exist && meta && meta->has_value();
    }
    if (all_exist) return size_t{0};

    auto created = impl_.write<size_t>([&](WriteTxn& txn) { return impl_.add_default_mailboxes(txn, *user); });
    if (!created) return created.error();
    if (created.value() != 0)
        log::info("mailboxes_defaulted", {{"user", *user}, {"created", static_cast<uint64_t>(created.value())}});
    return created;
}

}  // namespace ringpost::store
