// The IMAP session: LIST, STATUS, SELECT, CREATE/DELETE/RENAME/SUBSCRIBE, APPEND (see session.hpp).
#include "imap/session.hpp"

#include <algorithm>
#include <map>
#include <unordered_set>

#include "imap/list_pattern.hpp"
#include "imap/mailbox_name.hpp"
#include "imap/response.hpp"
#include "imap/session_util.hpp"

namespace ringpost::imap {

using namespace detail;

namespace {

// The existing mailboxes by name (byte order, as the store lists them).
using MailboxIndex = std::map<std::string_view, const MailboxStatus*>;

bool has_children(const MailboxIndex& existing, const std::string& name) {
    const std::string prefix = name + "/";
    auto it = existing.lower_bound(prefix);
    return it != existing.end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

// The name attributes of a LIST/LSUB line: `mb` is the mailbox or
// subscribed name, null for a level of hierarchy listed without one (a
// \Noselect placeholder, or a CHILDINFO parent).
std::string list_attributes(const MailboxStatus* mb, bool children, bool childinfo, bool lsub) {
    if (!mb) {
        if (childinfo) return "\\NonExistent";
        return lsub ? "\\Noselect" : "\\Noselect \\HasChildren";
    }
    // RFC 5258 3.4: \NonExistent implies \Noselect, which LSUB knows.
    if (mb->nonexistent) return lsub ? "\\Noselect" : "\\NonExistent";
    std::string attrs = children ? "\\HasChildren" : "\\HasNoChildren";
    if (!mb->special_use.empty() && !lsub) attrs += " " + mb->special_use;
    return attrs;
}

// What LIST/LSUB shows of one name (see Session::list).
struct Shown {
    const MailboxStatus* mb = nullptr;   // passes; null: placeholder or CHILDINFO parent
    bool childinfo = false;
};

// One LIST/LSUB line for `name`, and its STATUS for RETURN (STATUS).
void append_list_line(std::string& out, const ListArgs& a, bool lsub, const std::string& name, const Shown& entry,
                      const MailboxIndex& existing) {
    const MailboxStatus* mb = entry.mb;
    if (!mb) {
        auto it = existing.find(name);
        if (it != existing.end() && entry.childinfo) mb = it->second;   // exists but did not pass
    }
    std::string attrs = list_attributes(mb, has_children(existing, name), entry.childinfo, lsub);
    const bool passed = entry.mb != nullptr;
    if (passed && mb->subscribed && !lsub && (a.return_subscribed || a.select_subscribed)) attrs += " \\Subscribed";
    out += "* ";
    out += lsub ? "LSUB" : "LIST";
    out += " (" + attrs + ") \"/\" ";
    append_mailbox(out, name);
    if (!passed && entry.childinfo) out += " (\"CHILDINFO\" (\"SUBSCRIBED\"))";
    out += "\r\n";
    if (passed && !mb->nonexistent && a.return_status && !lsub) status_items(out, *mb, a.status_items);
}

}  // namespace

io::Task<void> Session::match_list_names(const ListArgs& a, const std::vector<MailboxStatus>& boxes,
                                         std::unordered_set<std::string>& matched) {
    // Compiled once: each name (and each of its parents) is tried against
    // every pattern, in time linear in the name (list_pattern.hpp).
    std::vector<ListPattern> patterns;
    patterns.reserve(a.patterns.size());
    for (const auto& p : a.patterns) patterns.emplace_back(a.reference + p);
    auto matches = [&](std::string_view name) {
        for (const auto& p : patterns)
            if (p.matches(name)) return true;
        return false;
    };
    // Linear in each name, but a pattern of a thousand wildcards over long
    // names costs milliseconds, and that runs off the ring (off_ring, as
    // SEARCH's large texts do). The cost is counted in name bytes times
    // 64-position words of the NFA.
    size_t pattern_words = 0, name_bytes = 0;
    for (const auto& p : a.patterns) pattern_words += (a.reference.size() + p.size()) / 64 + 1;
    for (const auto& mb : boxes)
        name_bytes += mb.name.size() * (1 + static_cast<size_t>(std::count(mb.name.begin(), mb.name.end(), '/')));
    auto match_all = [&] {
        for (const auto& mb : boxes) {
            if (matches(mb.name)) matched.insert(mb.name);
            for (size_t slash = mb.name.find('/'); slash != std::string::npos; slash = mb.name.find('/', slash + 1))
                if (slash != 0 && matches(std::string_view(mb.name).substr(0, slash)))
                    matched.insert(mb.name.substr(0, slash));
        }
    };
    auto matching = off_ring(name_bytes * pattern_words, match_all);
    co_await std::move(matching);
}

io::Task<void> Session::list(const Command& cmd, std::string& out) {
    const auto& a = cmd.get<ListArgs>();
    const bool lsub = cmd.type == CommandType::kLsub;
    if (a.patterns.size() == 1 && a.patterns[0].empty() && !lsub) {
        out += "* LIST (\\Noselect) \"/\" \"\"\r\n";
        tagged(out, cmd.tag, "OK", "LIST completed");
        co_return;
    }
    auto listing = backend_.list_mailboxes(user_);
    auto boxes = co_await std::move(listing);
    if (!boxes) {
        no_from_error(cmd.tag, boxes.error(), out);
        co_return;
    }
    // Which names and parent levels match, decided before the listing.
    std::unordered_set<std::string> matched;
    auto matching = match_list_names(a, *boxes, matched);
    co_await std::move(matching);
    auto is_match = [&](const std::string& name) { return matched.count(name) != 0; };
    const bool subscribed_only = lsub || a.select_subscribed;
    // The selection criteria (RFC 5258 3): subscribed names (which may have
    // no mailbox, RFC 3501 6.3.6), special-use mailboxes, or every mailbox.
    auto passes = [&](const MailboxStatus& mb) {
        if (subscribed_only && !mb.subscribed) return false;
        if (a.select_special_use && mb.special_use.empty()) return false;
        return subscribed_only || !mb.nonexistent;
    };
    MailboxIndex existing;
    for (const auto& mb : *boxes)
        if (!mb.nonexistent) existing.emplace(mb.name, &mb);
    // What is listed, in name order: the names that match and pass; for
    // plain LIST and LSUB also the levels of hierarchy above a passing name
    // that match but do not pass themselves, as \Noselect placeholders (RFC
    // 3501 6.3.8, 6.3.9); with RECURSIVEMATCH instead such a level that has
    // a passing descendant which is not listed itself, with CHILDINFO (RFC
    // 5258 3.5: no CHILDINFO when every such descendant is listed anyway).
    std::map<std::string, Shown> shown;
    const bool placeholders = !a.extended || (!a.select_subscribed && !a.select_special_use);
    const bool childinfo = a.select_recursive_match && a.select_subscribed;
    CommandBudget budget = command_budget();
    for (const auto& mb : *boxes) {
        auto going_on = budget.checkpoint();
        if (!(co_await std::move(going_on))) {
            time_limit_reached(out, cmd.tag);
            co_return;
        }
        if (!passes(mb)) continue;
        if (existing.count(mb.name) && mb.nonexistent) continue;   // the mailbox's own entry says it
        const bool listed = is_match(mb.name);
        if (listed) shown[mb.name].mb = &mb;
        if (!placeholders && (!childinfo || listed)) continue;
        for (size_t slash = mb.name.find('/'); slash != std::string::npos; slash = mb.name.find('/', slash + 1)) {
            std::string parent = mb.name.substr(0, slash);
            if (parent.empty() || !is_match(parent)) continue;
            Shown& entry = shown[parent];
            if (!placeholders) entry.childinfo = true;
        }
    }
    const size_t listing_start = out.size();
    for (const auto& [name, entry] : shown) {
        auto going_on = budget.checkpoint();
        if (!(co_await std::move(going_on))) {
            out.resize(listing_start);   // not sent yet: no partial listing
            time_limit_reached(out, cmd.tag);
            co_return;
        }
        if (!entry.mb && !placeholders && !entry.childinfo) continue;
        append_list_line(out, a, lsub, name, entry, existing);
    }
    tagged(out, cmd.tag, "OK", lsub ? "LSUB completed" : "LIST completed");
}

io::Task<void> Session::status(const Command& cmd, std::string& out) {
    const auto& a = cmd.get<StatusArgs>();
    auto asking = backend_.mailbox_status(user_, a.mailbox);
    auto st = co_await std::move(asking);
    if (!st) {
        no_from_error(cmd.tag, st.error(), out);
        co_return;
    }
    if (!st->has_value()) {
        tagged(out, cmd.tag, "NO", "[NONEXISTENT] No such mailbox");
        co_return;
    }
    // The selected mailbox's claimed \Recent messages are this session's:
    // they count here, with the ones nobody has claimed yet.
    if (sel_ && sel_->name == (*st)->name) (*st)->recent += sel_->recent_count();
    status_items(out, **st, a.items);
    tagged(out, cmd.tag, "OK", "STATUS completed");
}

io::Task<void> Session::select(const Command& cmd, std::string& out) {
    const auto& a = cmd.get<SelectArgs>();
    const bool examine = cmd.type == CommandType::kExamine;
    // RFC 7162 3.2.11 / RFC 9051 7.1: the previous mailbox is closed first,
    // whatever happens to this SELECT; [CLOSED] marks where its responses end.
    if (sel_) out += "* OK [CLOSED] Previous mailbox closed\r\n";
    follow(std::nullopt);
    // Watch first, list second: a delivery committed in between is then
    // heard of rather than lost until the next NOOP.
    start_watch(is_inbox(a.mailbox) ? std::string("INBOX") : a.mailbox);
    auto listing = backend_.list_messages(user_, a.mailbox);
    auto snap = co_await std::move(listing);
    if (!snap) {
        start_watch("");
        no_from_error(cmd.tag, snap.error(), out);
        co_return;
    }
    Selected s;
    s.name = snap->status.name.empty() ? a.mailbox : snap->status.name;
    s.read_only = examine;
    s.uidvalidity = snap->status.uidvalidity;
    s.uidnext = snap->status.uidnext;
    s.messages = std::move(snap->messages);
    s.keywords = snap->status.keywords;
    std::vector<uint32_t> uids;
    uids.reserve(s.messages.size());
    for (const auto& m : s.messages) uids.push_back(m.uid);
    auto taking = take_recent(s, snap->status, std::move(uids));
    co_await std::move(taking);
    out += "* FLAGS (" + flag_names(s.keywords) + ")\r\n";
    out += "* " + std::to_string(s.messages.size()) + " EXISTS\r\n";
    out += "* " + std::to_string(s.recent_count()) + " RECENT\r\n";
    for (size_t i = 0; i < s.messages.size(); ++i) {
        if (!(s.messages[i].flags & kSeen)) {
            out += "* OK [UNSEEN " + std::to_string(i + 1) + "] First unseen\r\n";
            break;
        }
    }
    out += "* OK [UIDVALIDITY " + std::to_string(s.uidvalidity) + "] UIDs valid\r\n";
    out += "* OK [UIDNEXT " + std::to_string(s.uidnext) + "] Predicted next UID\r\n";
    if (examine)
        out += "* OK [PERMANENTFLAGS ()] Read-only mailbox\r\n";
    else
        out += "* OK [PERMANENTFLAGS (" + flag_names(s.keywords) + " \\*)] Flags and keywords are stored\r\n";
    follow(std::move(s));
    tagged(out, cmd.tag, "OK", examine ? "[READ-ONLY] EXAMINE completed" : "[READ-WRITE] SELECT completed");
}

io::Task<void> Session::mailbox_op(const Command& cmd, std::string& out) {
    Result<void> r;
    std::string_view done;
    switch (cmd.type) {
    case CommandType::kCreate: {
        const auto& a = cmd.get<CreateArgs>();
        std::string name = a.mailbox;
        while (name.size() > 1 && name.back() == '/') name.pop_back();
        if (is_inbox(name)) {
            tagged(out, cmd.tag, "NO", "[ALREADYEXISTS] INBOX always exists");
            co_return;
        }
        std::string use = a.special_use.empty() ? std::string() : a.special_use.front();
        auto t = backend_.create_mailbox(user_, name, use);
        r = co_await std::move(t);
        done = "CREATE completed";
        break;
    }
    case CommandType::kDelete: {
        auto t = backend_.delete_mailbox(user_, cmd.get<MailboxArgs>().mailbox);
        r = co_await std::move(t);
        done = "DELETE completed";
        break;
    }
    case CommandType::kRename: {
        const auto& a = cmd.get<RenameArgs>();
        auto t = backend_.rename_mailbox(user_, a.from, a.to);
        r = co_await std::move(t);
        done = "RENAME completed";
        break;
    }
    default: {
        bool on = cmd.type == CommandType::kSubscribe;
        auto t = backend_.subscribe(user_, cmd.get<MailboxArgs>().mailbox, on);
        r = co_await std::move(t);
        done = on ? "SUBSCRIBE completed" : "UNSUBSCRIBE completed";
        break;
    }
    }
    if (!r) {
        no_from_error(cmd.tag, r.error(), out);
        co_return;
    }
    tagged(out, cmd.tag, "OK", done);
}

io::Task<void> Session::append(const Command& cmd, std::string& out) {
    const auto& a = cmd.get<AppendArgs>();
    uint32_t validity = 0;
    std::vector<uint32_t> uids;
    for (const auto& m : a.messages) {
        int64_t date = m.internal_date ? m.internal_date->unix_time : 0;
        std::vector<std::string> keywords;
        uint32_t flags = flag_bits(m.flags, keywords);
        auto defining = keyword_bits(a.mailbox, std::move(keywords), true, out);
        auto bits = co_await std::move(defining);
        if (!bits) {
            no_from_error(cmd.tag, bits.error(), out, true);
            co_return;
        }
        flags |= *bits;
        auto t = backend_.append(user_, a.mailbox, std::string(m.data), flags, date, origin());
        auto r = co_await std::move(t);
        if (!r) {
            no_from_error(cmd.tag, r.error(), out, true);
            co_return;
        }
        validity = r->uidvalidity;
        uids.push_back(r->uid);
    }
    if (sel_ && sel_->name == a.mailbox) {
        auto t = refresh(out);
        co_await std::move(t);
    }
    tagged(out, cmd.tag, "OK",
           "[APPENDUID " + std::to_string(validity) + " " + SequenceSet::compress(uids) + "] APPEND completed");
}

}  // namespace ringpost::imap
