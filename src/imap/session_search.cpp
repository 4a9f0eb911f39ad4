// The IMAP session: SEARCH (see session.hpp).
#include "imap/session.hpp"

#include "imap/date_time.hpp"
#include "imap/session_util.hpp"
#include "mail/rfc5322_date.hpp"

namespace ringpost::imap {

using namespace detail;

io::Task<bool> Session::search_text(const SearchKey& key, const MessageInfo& m, std::optional<std::string>& data) {
    if (!data) {
        auto t = backend_.read_message(user_, sel_->name, m.uid, false, true);
        auto r = co_await std::move(t);
        data.emplace(r && r->has_value() ? std::move((*r)->data) : std::string());
    }
    std::string_view msg = *data;
    std::string_view header = header_of(msg);
    switch (key.kind) {
    case SearchKind::kFrom: co_return ci_contains(header_values(header, "From"), key.value);
    case SearchKind::kTo: co_return ci_contains(header_values(header, "To"), key.value);
    case SearchKind::kCc: co_return ci_contains(header_values(header, "Cc"), key.value);
    case SearchKind::kBcc: co_return ci_contains(header_values(header, "Bcc"), key.value);
    case SearchKind::kSubject: co_return ci_contains(header_values(header, "Subject"), key.value);
    case SearchKind::kHeader: {
        std::string v = header_values(header, key.field);
        if (key.value.empty()) co_return !v.empty() || ci_contains(header, key.field + ":");
        co_return ci_contains(v, key.value);
    }
    case SearchKind::kBody: co_return ci_contains(msg.substr(header.size()), key.value);
    case SearchKind::kSentSince:
    case SearchKind::kSentBefore:
    case SearchKind::kSentOn: {
        // RFC 3501 6.4.4: the Date: header's date, its time and zone
        // disregarded. A message without a usable Date: is dated by its
        // INTERNALDATE, as Dovecot does, rather than matching nothing.
        std::string v = header_values(header, "Date");
        auto sent = mail::parse_rfc5322_date(std::string_view(v).substr(0, v.find('\n')));
        const int64_t day = sent ? sent->days_local : date_of(m.internal_date, 0).days();
        const int64_t want = key.date.days();
        if (key.kind == SearchKind::kSentSince) co_return day >= want;
        if (key.kind == SearchKind::kSentBefore) co_return day < want;
        co_return day == want;
    }
    default: co_return ci_contains(msg, key.value);
    }
}

io::Task<bool> Session::matches(const SearchKey& key, uint32_t seq, const MessageInfo& m,
                                std::optional<std::string>& data) {
    const auto& msgs = sel_->messages;
    switch (key.kind) {
    case SearchKind::kAll: co_return true;
    case SearchKind::kAnd:
        for (const auto& c : key.children) {
            auto t = matches(c, seq, m, data);
            if (!(co_await std::move(t))) co_return false;
        }
        co_return true;
    case SearchKind::kOr:
        for (const auto& c : key.children) {
            auto t = matches(c, seq, m, data);
            if (co_await std::move(t)) co_return true;
        }
        co_return false;
    case SearchKind::kNot: {
        if (key.children.empty()) co_return false;
        auto t = matches(key.children[0], seq, m, data);
        co_return !(co_await std::move(t));
    }
    case SearchKind::kSequence: co_return key.set.contains(seq, static_cast<uint32_t>(msgs.size()));
    case SearchKind::kUid: co_return key.set.contains(m.uid, msgs.empty() ? 0 : msgs.back().uid);
    case SearchKind::kFlag: {
        // RECENT, NEW and OLD: \Recent is the session's, not stored.
        if (ci_equal(key.value, "\\Recent")) co_return sel_->is_recent(m.uid);
        uint32_t bit = flag_bit(key.value, sel_->keywords);
        co_return bit != 0 && (m.flags & bit) != 0;
    }
    case SearchKind::kLarger: co_return m.size > key.number;
    case SearchKind::kSmaller: co_return m.size < key.number;
    case SearchKind::kSince: co_return date_of(m.internal_date, 0) >= key.date;
    case SearchKind::kBefore: co_return date_of(m.internal_date, 0) < key.date;
    case SearchKind::kOn: co_return date_of(m.internal_date, 0) == key.date;
    default: {
        auto t = search_text(key, m, data);
        co_return co_await std::move(t);
    }
    }
}

io::Task<void> Session::search(const Command& cmd, std::string& out) {
    const auto& a = cmd.get<SearchArgs>();
    if (!a.charset.empty() && a.charset != "US-ASCII" && a.charset != "UTF-8") {
        tagged(out, cmd.tag, "NO", "[BADCHARSET (US-ASCII UTF-8)] Unsupported charset");
        co_return;
    }
    std::string line = "* SEARCH";
    // A copy: the view may not change during SEARCH, but be safe.
    std::vector<MessageInfo> msgs = sel_->messages;
    for (size_t i = 0; i < msgs.size(); ++i) {
        std::optional<std::string> data;
        auto t = matches(a.key, static_cast<uint32_t>(i + 1), msgs[i], data);
        if (co_await std::move(t)) line += " " + std::to_string(cmd.uid ? msgs[i].uid : i + 1);
        if (!sel_) co_return;
    }
    out += line + "\r\n";
    tagged(out, cmd.tag, "OK", "SEARCH completed");
}

}  // namespace ringpost::imap
