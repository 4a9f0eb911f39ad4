// The in-memory imap::Backend of the session tests (see fake_backend.hpp).
#include "fake_backend.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "io/blocking_pool.hpp"
#include "io/ops.hpp"
#include "io/ring.hpp"

namespace ringpost::imap::test {
namespace {

constexpr std::string_view kSpecialUses[] = {"\\Archive", "\\Drafts", "\\Junk", "\\Sent", "\\Trash"};

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool valid_name(const std::string& name) {
    if (name.empty() || name.front() == '/' || name.back() == '/') return false;
    if (name.find("//") != std::string::npos) return false;
    for (char c : name)
        if (static_cast<unsigned char>(c) < 0x20) return false;
    return true;
}

bool listed(const std::vector<uint32_t>& sorted, uint32_t uid) {
    return std::binary_search(sorted.begin(), sorted.end(), uid);
}

Error no_such(const std::string& name, store::StoreErrc code = kNoSuchMailbox) {
    return make_error("no such mailbox '" + name + "'", code);
}

}  // namespace

// --- setup and inspection ---

void FakeBackend::add_user(const std::string& name, const std::string& password) {
    User& u = users_[lower(name)];
    u.password = password;
    const std::pair<const char*, const char*> defaults[] = {
        {"INBOX", ""}, {"Sent", "\\Sent"}, {"Drafts", "\\Drafts"}, {"Trash", "\\Trash"}, {"Junk", "\\Junk"}};
    for (auto [mb, use] : defaults) new_mailbox(u, mb, use).subscribed = true;
}

uint32_t FakeBackend::add_message(const std::string& user, const std::string& mailbox, std::string data,
                                  uint32_t flags, int64_t internal_date) {
    FakeMailbox* mb = this->mailbox(user, mailbox);
    if (!mb) return 0;
    uint32_t uid = store_message(*mb, std::move(data), flags, internal_date);
    notify(lower(user), mailbox, nullptr);
    return uid;
}

void FakeBackend::set_flags(const std::string& user, const std::string& mailbox, uint32_t uid, uint32_t flags) {
    FakeMailbox* mb = this->mailbox(user, mailbox);
    if (!mb) return;
    for (auto& m : mb->messages)
        if (m.uid == uid) m.flags = flags;
    notify(lower(user), mailbox, nullptr);
}

void FakeBackend::remove_message(const std::string& user, const std::string& mailbox, uint32_t uid) {
    FakeMailbox* mb = this->mailbox(user, mailbox);
    if (!mb) return;
    std::erase_if(mb->messages, [uid](const FakeMessage& m) { return m.uid == uid; });
    notify(lower(user), mailbox, nullptr);
}

FakeMailbox* FakeBackend::mailbox(const std::string& user, const std::string& name) {
    User* u = find_user(user);
    if (!u) return nullptr;
    auto it = u->mailboxes.find(name);
    return it == u->mailboxes.end() ? nullptr : &it->second;
}

const FakeMessage* FakeBackend::message(const std::string& user, const std::string& mailbox, uint32_t uid) {
    FakeMailbox* mb = this->mailbox(user, mailbox);
    if (!mb) return nullptr;
    for (const auto& m : mb->messages)
        if (m.uid == uid) return &m;
    return nullptr;
}

std::vector<uint32_t> FakeBackend::uids(const std::string& user, const std::string& mailbox) {
    std::vector<uint32_t> v;
    if (FakeMailbox* mb = this->mailbox(user, mailbox))
        for (const auto& m : mb->messages) v.push_back(m.uid);
    return v;
}

size_t FakeBackend::watchers(const std::string& user, const std::string& mailbox) {
    size_t n = 0;
    for (const auto& weak : watches_)
        if (auto w = weak.lock(); w && w->user == lower(user) && w->mailbox == mailbox) ++n;
    return n;
}

void FakeBackend::settle(const std::string& user, const std::string& mailbox) {
    FakeMailbox* mb = this->mailbox(user, mailbox);
    if (mb) mb->recent_floor = mb->uidnext - 1;
}

// --- helpers ---

io::Task<void> FakeBackend::pause() {
    if (latency.count() >= 0 && io::Ring::current()) co_await io::sleep_for(latency);
}

io::Task<Result<void>> FakeBackend::hand_to_pool() {
    if (!pool) co_return Result<void>();
    auto nothing = [] {};
    co_return co_await pool->run(nothing);
}

FakeBackend::User* FakeBackend::find_user(const std::string& name) {
    auto it = users_.find(lower(name));
    return it == users_.end() ? nullptr : &it->second;
}

MailboxStatus FakeBackend::status_of(const std::string& name, const FakeMailbox& mb) const {
    MailboxStatus s;
    s.name = name;
    s.uidvalidity = mb.uidvalidity;
    s.uidnext = mb.uidnext;
    s.subscribed = mb.subscribed;
    s.special_use = mb.special_use;
    s.keywords = mb.keywords;
    s.recent_floor = mb.recent_floor;
    for (const auto& m : mb.messages) {
        ++s.messages;
        if (m.uid > mb.recent_floor) ++s.recent;
        if (!(m.flags & kSeen)) ++s.unseen;
        s.bytes += m.data.size();
    }
    return s;
}

FakeMailbox& FakeBackend::new_mailbox(User& u, const std::string& name, std::string special_use) {
    FakeMailbox& mb = u.mailboxes[name];
    mb = FakeMailbox{};
    mb.uidvalidity = next_uidvalidity_++;
    mb.special_use = std::move(special_use);
    return mb;
}

uint32_t FakeBackend::store_message(FakeMailbox& mb, std::string data, uint32_t flags, int64_t internal_date) {
    FakeMessage m;
    m.uid = mb.uidnext++;
    m.flags = flags;
    m.internal_date = internal_date == 0 ? now : internal_date;
    m.summary = mail::summarize_message(data);
    m.data = std::move(data);
    mb.messages.push_back(std::move(m));
    return mb.messages.back().uid;
}

void FakeBackend::notify(const std::string& user, const std::string& mailbox, const void* origin) {
    std::erase_if(watches_, [](const std::weak_ptr<Watch>& w) { return w.expired(); });
    for (const auto& weak : watches_) {
        auto w = weak.lock();
        if (!w || w.get() == origin || w->user != user || (!mailbox.empty() && w->mailbox != mailbox)) continue;
        if (w->ring) {
            // Like MailboxHub: on the watcher's ring, and only while it still watches.
            w->ring->post([weak] {
                if (auto live = weak.lock()) live->on_change();
            });
        } else {
            w->on_change();
        }
    }
}

// --- Backend ---

io::Task<auth::Outcome> FakeBackend::login(std::string user, std::string password, std::string client_ip) {
    co_await pause();
    login_ips.push_back(client_ip);
    auth::Outcome r;
    if (logins_unavailable) {
        r.status = auth::Status::kTempFail;
        co_return r;
    }
    User* u = find_user(user);
    if (u && u->password == password) {
        r.status = auth::Status::kOk;
        r.user = lower(user);
    }
    co_return r;
}

io::Task<Result<std::vector<MailboxStatus>>> FakeBackend::list_mailboxes(std::string user) {
    co_await pause();
    User* u = find_user(user);
    if (!u) co_return Error{{}, "invalid user name"};
    std::vector<MailboxStatus> out;
    for (const auto& [name, mb] : u->mailboxes) out.push_back(status_of(name, mb));
    for (const auto& name : u->orphan_subscriptions) {
        MailboxStatus s;
        s.name = name;
        s.subscribed = true;
        s.nonexistent = true;
        out.push_back(std::move(s));
    }
    co_return out;
}

io::Task<Result<std::optional<MailboxStatus>>> FakeBackend::mailbox_status(std::string user, std::string name) {
    co_await pause();
    FakeMailbox* mb = this->mailbox(user, name);
    if (!mb) co_return std::optional<MailboxStatus>();
    co_return std::optional<MailboxStatus>(status_of(name, *mb));
}

io::Task<Result<void>> FakeBackend::create_mailbox(std::string user, std::string name, std::string special_use) {
    co_await pause();
    auto handing = hand_to_pool();
    auto handed = co_await std::move(handing);
    if (!handed) co_return handed.error();
    User* u = find_user(user);
    if (!u) co_return Error{{}, "invalid user name"};
    if (!valid_name(name)) co_return Error{kInvalidMailboxName, "invalid mailbox name '" + name + "'"};
    std::string use;
    if (!special_use.empty()) {
        for (std::string_view known : kSpecialUses)
            if (lower(std::string(known)) == lower(special_use)) use = known;
        if (use.empty()) co_return Error{kBadSpecialUse, "unsupported special-use attribute '" + special_use + "'"};
    }
    if (u->mailboxes.count(name)) co_return Error{kMailboxExists, "mailbox '" + name + "' already exists"};
    // A subscription of the bare name goes to the new mailbox.
    new_mailbox(*u, name, use).subscribed = u->orphan_subscriptions.erase(name) != 0;
    co_return Result<void>();
}

io::Task<Result<void>> FakeBackend::delete_mailbox(std::string user, std::string name) {
    co_await pause();
    User* u = find_user(user);
    if (!u) co_return Error{{}, "invalid user name"};
    if (name == "INBOX") co_return Error{kCannotDeleteInbox, "INBOX cannot be deleted"};
    auto it = u->mailboxes.find(name);
    if (it == u->mailboxes.end()) co_return no_such(name);
    if (it->second.subscribed) u->orphan_subscriptions.insert(name);   // RFC 3501 6.3.6
    u->mailboxes.erase(it);
    notify(lower(user), name, nullptr);
    co_return Result<void>();
}

io::Task<Result<void>> FakeBackend::rename_mailbox(std::string user, std::string from, std::string to) {
    co_await pause();
    User* u = find_user(user);
    if (!u) co_return Error{{}, "invalid user name"};
    if (!valid_name(from) || !valid_name(to)) co_return Error{kInvalidMailboxName, "invalid mailbox name"};
    if (to == "INBOX") co_return Error{kMailboxExists, "INBOX always exists"};
    const std::string children = from + "/";
    if (from != "INBOX" && to.compare(0, children.size(), children) == 0)
        co_return Error{kInvalidMailboxName, "cannot rename mailbox '" + from + "' under itself"};
    if (!u->mailboxes.count(from)) co_return no_such(from);
    std::vector<std::pair<std::string, std::string>> moves{{from, to}};
    if (from != "INBOX")
        for (const auto& [name, mb] : u->mailboxes)
            if (name.compare(0, children.size(), children) == 0) moves.emplace_back(name, to + name.substr(from.size()));
    for (const auto& [old_name, new_name] : moves)
        if (u->mailboxes.count(new_name)) co_return Error{kMailboxExists, "mailbox '" + new_name + "' already exists"};
    for (const auto& [old_name, new_name] : moves) {
        auto node = u->mailboxes.extract(old_name);
        node.key() = new_name;
        u->mailboxes.insert(std::move(node));
    }
    if (from == "INBOX") new_mailbox(*u, "INBOX", "").subscribed = true;   // an empty INBOX, new UIDVALIDITY
    notify(lower(user), "", nullptr);
    co_return Result<void>();
}

io::Task<Result<void>> FakeBackend::subscribe(std::string user, std::string name, bool subscribed) {
    co_await pause();
    FakeMailbox* mb = this->mailbox(user, name);
    if (!mb) {
        User* u = find_user(user);
        if (!u) co_return Error{{}, "invalid user name"};
        if (subscribed) {
            u->orphan_subscriptions.insert(name);
        } else if (!u->orphan_subscriptions.erase(name)) {
            co_return no_such(name);
        }
        co_return Result<void>();
    }
    mb->subscribed = subscribed;
    co_return Result<void>();
}

io::Task<Result<MailboxSnapshot>> FakeBackend::list_messages(std::string user, std::string mailbox) {
    co_await pause();
    ++list_messages_calls;
    FakeMailbox* mb = this->mailbox(user, mailbox);
    if (!mb) co_return no_such(mailbox);
    MailboxSnapshot snap;
    snap.status = status_of(mailbox, *mb);
    for (const auto& m : mb->messages) snap.messages.push_back({m.uid, m.flags, m.data.size(), m.internal_date});
    if (after_list_messages) {
        auto hook = std::move(after_list_messages);
        after_list_messages = nullptr;
        hook();
        co_await pause();
    }
    co_return snap;
}

io::Task<Result<uint32_t>> FakeBackend::claim_recent(std::string user, std::string mailbox, uint32_t uidvalidity,
                                                     uint32_t upto) {
    co_await pause();
    FakeMailbox* mb = this->mailbox(user, mailbox);
    if (!mb || mb->uidvalidity != uidvalidity) co_return no_such(mailbox);
    const uint32_t before = mb->recent_floor;
    mb->recent_floor = std::max(before, std::min(upto, mb->uidnext - 1));
    co_return before;
}

io::Task<Result<std::optional<MessageContent>>> FakeBackend::read_message(std::string user, std::string mailbox,
                                                                          uint32_t uid, bool summary, bool data) {
    co_await pause();
    ++read_message_calls;
    if (data) ++read_message_data_calls;
    if (!this->mailbox(user, mailbox)) co_return no_such(mailbox);
    const FakeMessage* m = message(user, mailbox, uid);
    if (!m) co_return std::optional<MessageContent>();
    MessageContent c;
    if (summary) c.summary = m->summary;
    if (data) c.data = m->data;
    co_return std::optional<MessageContent>(std::move(c));
}

io::Task<Result<std::optional<std::string>>> FakeBackend::read_range(std::string user, std::string mailbox,
                                                                     uint32_t uid, uint64_t offset, uint64_t length) {
    co_await pause();
    read_ranges.emplace_back(offset, length);
    if (!this->mailbox(user, mailbox)) co_return no_such(mailbox);
    const FakeMessage* m = message(user, mailbox, uid);
    if (!m) co_return std::optional<std::string>();
    if (offset >= m->data.size()) co_return std::optional<std::string>(std::string());
    co_return std::optional<std::string>(m->data.substr(offset, length));
}

io::Task<Result<FlagChanges>> FakeBackend::change_flags(std::string user, std::string mailbox,
                                                        std::vector<uint32_t> uids, uint32_t add, uint32_t remove,
                                                        bool replace, const void* origin) {
    co_await pause();
    ++change_flags_calls;
    FakeMailbox* mb = this->mailbox(user, mailbox);
    if (!mb) co_return no_such(mailbox);
    std::sort(uids.begin(), uids.end());
    FlagChanges changes;
    for (auto& m : mb->messages) {
        if (!listed(uids, m.uid)) continue;
        uint32_t flags = replace ? add : (m.flags | add) & ~remove;
        if (flags == m.flags) continue;
        m.flags = flags;
        changes.emplace_back(m.uid, flags);
    }
    if (!changes.empty()) notify(lower(user), mailbox, origin);
    co_return changes;
}

io::Task<Result<std::vector<uint32_t>>> FakeBackend::expunge(std::string user, std::string mailbox,
                                                             std::optional<std::vector<uint32_t>> uids,
                                                             bool require_deleted, const void* origin) {
    co_await pause();
    ++expunge_calls;
    FakeMailbox* mb = this->mailbox(user, mailbox);
    if (!mb) co_return no_such(mailbox);
    if (uids) std::sort(uids->begin(), uids->end());
    std::vector<uint32_t> removed;
    std::erase_if(mb->messages, [&](const FakeMessage& m) {
        bool deleted = (m.flags & kDeleted) != 0;
        bool go = uids ? listed(*uids, m.uid) && (deleted || !require_deleted) : deleted;
        if (go) removed.push_back(m.uid);
        return go;
    });
    if (!removed.empty()) notify(lower(user), mailbox, origin);
    co_return removed;
}

io::Task<Result<CopyUids>> FakeBackend::copy(std::string user, std::string from, std::vector<uint32_t> uids,
                                             std::string to, bool move, const void* origin) {
    co_await pause();
    User* u = find_user(user);
    if (!u) co_return Error{{}, "invalid user name"};
    FakeMailbox* src = this->mailbox(user, from);
    if (!src) co_return no_such(from, kNoSuchSourceMailbox);
    FakeMailbox* dst = this->mailbox(user, to);
    if (!dst && to != "INBOX") co_return no_such(to);
    std::sort(uids.begin(), uids.end());
    std::vector<FakeMessage> copies;
    for (const auto& m : src->messages)
        if (listed(uids, m.uid)) copies.push_back(m);
    CopyUids r;
    if (copies.empty()) {   // nothing to do (and no INBOX to create), like the store
        r.uidvalidity = dst ? dst->uidvalidity : 0;
        co_return r;
    }
    if (!dst) {
        dst = &new_mailbox(*u, "INBOX", "");
        dst->subscribed = true;
    }
    r.uidvalidity = dst->uidvalidity;
    std::vector<uint32_t> originals;
    for (auto& m : copies) {
        // Keywords carried over by name into the destination's table.
        if (dst != src) {
            uint32_t flags = m.flags & kSystemFlagBits;
            for (size_t i = 0; i < src->keywords.size(); ++i) {
                if (!(m.flags & (1u << (kFirstKeywordBit + i)))) continue;
                auto it = std::find(dst->keywords.begin(), dst->keywords.end(), src->keywords[i]);
                if (it == dst->keywords.end() && dst->keywords.size() < kMaxKeywords)
                    it = dst->keywords.insert(dst->keywords.end(), src->keywords[i]);
                if (it != dst->keywords.end())
                    flags |= 1u << (kFirstKeywordBit + static_cast<uint32_t>(it - dst->keywords.begin()));
            }
            m.flags = flags;
        }
        originals.push_back(m.uid);
        r.uids.emplace_back(m.uid, dst->uidnext);
        m.uid = dst->uidnext++;
        dst->messages.push_back(std::move(m));
    }
    // A move within one mailbox gives the messages new UIDs: the originals go.
    if (move) std::erase_if(src->messages, [&](const FakeMessage& m) { return listed(originals, m.uid); });
    notify(lower(user), to, origin);
    if (move) notify(lower(user), from, origin);
    co_return r;
}

io::Task<Result<AppendUid>> FakeBackend::append(std::string user, std::string mailbox, std::string data,
                                                uint32_t flags, int64_t internal_date, const void* origin) {
    co_await pause();
    User* u = find_user(user);
    if (!u) co_return Error{{}, "invalid user name"};
    if (disk_full) co_return Error{kInsufficientStorage, "Not enough disk space"};
    FakeMailbox* mb = this->mailbox(user, mailbox);
    if (!mb) {
        if (mailbox != "INBOX") co_return no_such(mailbox);
        mb = &new_mailbox(*u, "INBOX", "");
        mb->subscribed = true;
    }
    uint32_t uid = store_message(*mb, std::move(data), flags, internal_date);
    notify(lower(user), mailbox, origin);
    co_return AppendUid{mb->uidvalidity, uid};
}

io::Task<Result<KeywordBits>> FakeBackend::keyword_flags(std::string user, std::string mailbox,
                                                         std::vector<std::string> names, bool define) {
    co_await pause();
    FakeMailbox* mb = this->mailbox(user, mailbox);
    if (!mb) co_return no_such(mailbox);
    auto find = [&](const std::string& n) {
        for (size_t i = 0; i < mb->keywords.size(); ++i)
            if (lower(mb->keywords[i]) == lower(n)) return static_cast<int>(i);
        return -1;
    };
    size_t missing = 0;
    for (const auto& n : names) missing += find(n) < 0 ? 1 : 0;
    if (define && mb->keywords.size() + missing > kMaxKeywords)
        co_return Error{kTooManyKeywords, "no room for more keywords"};
    KeywordBits r;
    for (const auto& n : names) {
        int i = find(n);
        if (i < 0 && define) {
            mb->keywords.push_back(n);
            i = static_cast<int>(mb->keywords.size() - 1);
        }
        if (i >= 0) r.bits |= 1u << (kFirstKeywordBit + static_cast<uint32_t>(i));
    }
    r.table = mb->keywords;
    co_return r;
}

std::shared_ptr<void> FakeBackend::watch(std::string user, std::string mailbox, std::function<void()> on_change) {
    auto w = std::make_shared<Watch>();
    w->user = lower(user);
    w->mailbox = std::move(mailbox);
    w->ring = io::Ring::current();
    w->on_change = std::move(on_change);
    watches_.push_back(w);
    return w;
}

// Like the real backend's pool: the work runs while the session is
// suspended (here on the ring thread, after a ring timer).
io::Task<Result<void>> FakeBackend::compute(std::string, std::function<void()> work) {
    ++compute_calls;
    co_await pause();
    work();
    co_return Result<void>();
}

}  // namespace ringpost::imap::test
