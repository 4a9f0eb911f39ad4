#include "server/imap_backend.hpp"

#include <functional>

#include "auth/mail_login.hpp"
#include "io/ring.hpp"
#include "mail/mime.hpp"
#include "store/store.hpp"
#include "util/log.hpp"

namespace ringpost::server {
namespace {

static_assert(imap::kFirstKeywordBit == store::kFirstKeywordBit);
constexpr bool same_flag(uint32_t a, uint32_t b) { return a == b; }
static_assert(same_flag(imap::kSeen, store::kFlagSeen) && same_flag(imap::kAnswered, store::kFlagAnswered) &&
              same_flag(imap::kFlagged, store::kFlagFlagged) && same_flag(imap::kDeleted, store::kFlagDeleted) &&
              same_flag(imap::kDraft, store::kFlagDraft));

// The blocking pool's fairness key of a user (blocking_pool.hpp): all of
// one user's sessions share the pool's per-key limit of running calls.
uint64_t fairness_key(const std::string& user) { return std::hash<std::string>{}(user) | 1; }

imap::MailboxStatus convert(const store::MailboxInfo& i) {
    imap::MailboxStatus s;
    s.name = i.name;
    s.uidvalidity = i.uidvalidity;
    s.uidnext = i.uidnext;
    s.messages = i.messages;
    s.unseen = i.unseen;
    s.bytes = i.bytes;
    s.subscribed = i.subscribed;
    s.special_use = i.special_use;
    s.keywords = i.keywords;
    s.recent_floor = i.recent_floor;
    s.recent = i.recent;
    return s;
}

}  // namespace

io::Task<auth::Outcome> StoreImapBackend::login(std::string user, std::string password, std::string client_ip) {
    auto checking = auth::check_login(store_.users(), login_pool_, throttle_, "imap", std::move(user),
                                      std::move(password), std::move(client_ip));
    auth::Outcome result = co_await std::move(checking);
    if (result.status != auth::Status::kOk) co_return result;
    const std::string& name = result.user;
    auto ensure = [this, &name]() { return store_.mailboxes().ensure_default_mailboxes(name); };
    auto ensured = co_await pool_.run(ensure, fairness_key(name));
    if (!ensured) {
        log::error("imap_default_mailboxes_failed", {{"user", name}, {"error", ensured.error().message}});
        co_return auth::Outcome{auth::Status::kTempFail, {}};
    }
    co_return result;
}

io::Task<Result<std::vector<imap::MailboxStatus>>> StoreImapBackend::list_mailboxes(std::string user) {
    auto work = [this, &user]() -> Result<std::vector<imap::MailboxStatus>> {
        auto list = store_.mailboxes().list_mailboxes(user);
        if (!list) return list.error();
        std::vector<imap::MailboxStatus> out;
        for (const auto& i : *list) out.push_back(convert(i));
        auto orphans = store_.mailboxes().list_orphan_subscriptions(user);
        if (!orphans) return orphans.error();
        for (auto& name : *orphans) {
            imap::MailboxStatus s;
            s.name = std::move(name);
            s.subscribed = true;
            s.nonexistent = true;
            out.push_back(std::move(s));
        }
        return out;
    };
    co_return co_await pool_.run(work, fairness_key(user));
}

io::Task<Result<std::optional<imap::MailboxStatus>>> StoreImapBackend::mailbox_status(std::string user,
                                                                                      std::string name) {
    auto work = [this, &user, &name]() -> Result<std::optional<imap::MailboxStatus>> {
        auto info = store_.mailboxes().mailbox_info(user, name);
        if (!info) return info.error();
        if (!info->has_value()) return std::optional<imap::MailboxStatus>();
        return std::optional<imap::MailboxStatus>(convert(**info));
    };
    co_return co_await pool_.run(work, fairness_key(user));
}

io::Task<Result<void>> StoreImapBackend::create_mailbox(std::string user, std::string name,
                                                        std::string special_use) {
    auto work = [this, &user, &name, &special_use]() -> Result<void> {
        auto r = store_.mailboxes().create_mailbox(user, name, special_use);
        if (!r) return r.error();
        return {};
    };
    co_return co_await pool_.run(work, fairness_key(user));
}

io::Task<Result<void>> StoreImapBackend::delete_mailbox(std::string user, std::string name) {
    auto work = [this, &user, &name]() { return store_.mailboxes().delete_mailbox(user, name); };
    auto r = co_await pool_.run(work, fairness_key(user));
    if (r) hub_.publish(user, name);
    co_return r;
}

io::Task<Result<void>> StoreImapBackend::rename_mailbox(std::string user, std::string from, std::string to) {
    auto work = [this, &user, &from, &to]() { return store_.mailboxes().rename_mailbox(user, from, to); };
    auto r = co_await pool_.run(work, fairness_key(user));
    if (r) hub_.publish(user, "");
    co_return r;
}

io::Task<Result<void>> StoreImapBackend::subscribe(std::string user, std::string name, bool subscribed) {
    auto work = [this, &user, &name, subscribed]() {
        return store_.mailboxes().set_subscribed(user, name, subscribed);
    };
    co_return co_await pool_.run(work, fairness_key(user));
}

io::Task<Result<imap::MailboxSnapshot>> StoreImapBackend::list_messages(std::string user, std::string mailbox) {
    auto work = [this, &user, &mailbox]() -> Result<imap::MailboxSnapshot> {
        auto contents = store_.mailboxes().list_messages(user, mailbox);
        if (!contents) return contents.error();
        imap::MailboxSnapshot snap;
        snap.status = convert(contents->info);
        snap.messages.reserve(contents->messages.size());
        for (const auto& m : contents->messages) snap.messages.push_back({m.uid, m.flags, m.size, m.internal_date});
        return snap;
    };
    co_return co_await pool_.run(work, fairness_key(user));
}

io::Task<Result<uint32_t>> StoreImapBackend::claim_recent(std::string user, std::string mailbox,
                                                          uint32_t uidvalidity, uint32_t upto) {
    // Nobody else is told: \Recent is this session's alone.
    auto work = [this, &user, &mailbox, uidvalidity, upto]() {
        return store_.mailboxes().claim_recent(user, mailbox, uidvalidity, upto);
    };
    co_return co_await pool_.run(work, fairness_key(user));
}

io::Task<Result<std::optional<imap::MessageContent>>> StoreImapBackend::read_message(std::string user,
                                                                                     std::string mailbox,
                                                                                     uint32_t uid, bool summary,
                                                                                     bool data) {
    auto work = [this, &user, &mailbox, uid, summary, data]() -> Result<std::optional<imap::MessageContent>> {
        imap::MessageContent content;
        if (summary) {
            auto record = store_.mailboxes().get_message_record(user, mailbox, uid);
            if (!record) return record.error();
            if (!record->has_value()) return std::optional<imap::MessageContent>();
            auto decoded = mail::decode_summary((*record)->summary);
            if (!decoded) return decoded.error();
            content.summary = std::move(decoded).value();
        }
        if (data) {
            auto message = store_.mailboxes().read_message(user, mailbox, uid);
            if (!message) return message.error();
            if (!message->has_value()) return std::optional<imap::MessageContent>();
            content.data = std::move(**message);
        }
        return std::optional<imap::MessageContent>(std::move(content));
    };
    co_return co_await pool_.run(work, fairness_key(user));
}

io::Task<Result<std::optional<std::string>>> StoreImapBackend::read_range(std::string user, std::string mailbox,
                                                                         uint32_t uid, uint64_t offset,
                                                                         uint64_t length) {
    auto work = [this, &user, &mailbox, uid, offset, length]() {
        return store_.mailboxes().read_message_range(user, mailbox, uid, offset, length);
    };
    co_return co_await pool_.run(work, fairness_key(user));
}

io::Task<Result<imap::FlagChanges>> StoreImapBackend::change_flags(std::string user, std::string mailbox,
                                                                   std::vector<uint32_t> uids, uint32_t add,
                                                                   uint32_t remove, bool replace,
                                                                   const void* origin) {
    auto work = [this, &user, &mailbox, &uids, add, remove, replace]() -> Result<imap::FlagChanges> {
        if (!replace) return store_.mailboxes().change_flags(user, mailbox, uids, add, remove);
        std::vector<std::pair<uint32_t, uint32_t>> values;
        for (uint32_t u : uids) values.emplace_back(u, add);
        return store_.mailboxes().set_flags(user, mailbox, values);
    };
    auto r = co_await pool_.run(work, fairness_key(user));
    if (r && !r->empty()) hub_.publish(user, mailbox, origin);
    co_return r;
}

io::Task<Result<std::vector<uint32_t>>> StoreImapBackend::expunge(std::string user, std::string mailbox,
                                                                  std::optional<std::vector<uint32_t>> uids,
                                                                  bool require_deleted, const void* origin) {
    auto work = [this, &user, &mailbox, &uids, require_deleted]() -> Result<std::vector<uint32_t>> {
        if (!uids) return store_.mailboxes().expunge_deleted(user, mailbox);
        return store_.mailboxes().expunge(user, mailbox, *uids, require_deleted);
    };
    auto r = co_await pool_.run(work, fairness_key(user));
    if (r && !r->empty()) hub_.publish(user, mailbox, origin);
    co_return r;
}

io::Task<Result<imap::CopyUids>> StoreImapBackend::copy(std::string user, std::string from,
                                                        std::vector<uint32_t> uids, std::string to, bool move,
                                                        const void* origin) {
    auto work = [this, &user, &from, &uids, &to, move]() -> Result<imap::CopyUids> {
        auto& mailboxes = store_.mailboxes();
        auto r = move ? mailboxes.move_messages(user, from, uids, to) : mailboxes.copy_messages(user, from, uids, to);
        if (!r) return r.error();
        imap::CopyUids c;
        c.uidvalidity = r->uidvalidity;
        c.uids = std::move(r->uids);
        return c;
    };
    auto r = co_await pool_.run(work, fairness_key(user));
    if (r) {
        hub_.publish(user, to, origin);
        if (move) hub_.publish(user, from, origin);
    }
    co_return r;
}

io::Task<Result<imap::AppendUid>> StoreImapBackend::append(std::string user, std::string mailbox, std::string data,
                                                           uint32_t flags, int64_t internal_date,
                                                           const void* origin) {
    auto work = [this, &user, &mailbox, &data, flags, internal_date]() -> Result<imap::AppendUid> {
        // New mail, like SMTP's: refused below [store] min_free_space, where
        // only reads, deletions and delivery outcomes may still write.
        if (!store_.can_accept(data.size()))
            return make_error("Not enough disk space", store::StoreErrc::kInsufficientStorage);
        auto r = store_.mailboxes().append_message(user, mailbox, data, flags, internal_date);
        if (!r) return r.error();
        return imap::AppendUid{r->uidvalidity, r->uid};
    };
    auto r = co_await pool_.run(work, fairness_key(user));
    if (r) hub_.publish(user, mailbox, origin);
    co_return r;
}

io::Task<Result<imap::KeywordBits>> StoreImapBackend::keyword_flags(std::string user, std::string mailbox,
                                                                    std::vector<std::string> names, bool define) {
    auto work = [this, &user, &mailbox, &names, define]() -> Result<imap::KeywordBits> {
        auto bits = store_.mailboxes().keyword_flags(user, mailbox, names, define);
        if (!bits) return bits.error();
        auto info = store_.mailboxes().mailbox_info(user, mailbox);
        if (!info) return info.error();
        imap::KeywordBits out;
        out.bits = *bits;
        if (info->has_value()) out.table = (*info)->keywords;
        return out;
    };
    co_return co_await pool_.run(work, fairness_key(user));
}

io::Task<Result<void>> StoreImapBackend::compute(std::string user, std::function<void()> work) {
    co_return co_await pool_.run(work, fairness_key(user));
}

std::shared_ptr<void> StoreImapBackend::watch(std::string user, std::string mailbox,
                                              std::function<void()> on_change) {
    return hub_.subscribe(std::move(user), std::move(mailbox), io::Ring::current(), std::move(on_change));
}

}  // namespace ringpost::server
