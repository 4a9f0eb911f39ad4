// The IMAP session: SEARCH (see session.hpp).
//
// Text keys compare with decoded, case-folded text (mail/search_text.hpp):
// header values after RFC 2047 decoding, addresses as ENVELOPE parses them,
// bodies after their transfer encoding and charset. Each key's string is
// folded and its matcher (linear in the text) built once per command; each
// message is read, and its body text decoded, at most once, and only when
// a key needs it; of a big message only the header and the text parts.
// Decoding and matching more than 64 KiB of text runs off the ring
// (Backend::compute, the store pool in the server).
#include <functional>
#include <unordered_map>

#include "imap/date_time.hpp"
#include "imap/session.hpp"
#include "imap/session_util.hpp"
#include "mail/header_block.hpp"
#include "mail/rfc5322_date.hpp"
#include "mail/search_text.hpp"
#include "mail/substring_matcher.hpp"

namespace ringpost::imap {

using namespace detail;

namespace {

bool is_text_key(SearchKind kind) {
    switch (kind) {
    case SearchKind::kFrom:
    case SearchKind::kTo:
    case SearchKind::kCc:
    case SearchKind::kBcc:
    case SearchKind::kSubject:
    case SearchKind::kBody:
    case SearchKind::kText:
    case SearchKind::kHeader: return true;
    default: return false;
    }
}

std::string_view address_field(SearchKind kind) {
    switch (kind) {
    case SearchKind::kFrom: return "From";
    case SearchKind::kTo: return "To";
    case SearchKind::kCc: return "Cc";
    case SearchKind::kBcc: return "Bcc";
    default: return {};
    }
}

// Decoding or matching more text than this is done off the ring
// (Backend::compute): a linear pass over 64 KiB takes well under a
// millisecond, a 1 MiB body several.
constexpr size_t kOffRingBytes = 64 * 1024;

}  // namespace

struct Session::SearchContext {
    std::unordered_map<const SearchKey*, mail::SubstringMatcher> matchers;

    // The message under test; filled when a key first needs it. A message
    // up to the stream threshold is read whole; of a bigger one only the
    // header and, for BODY and TEXT, its text parts are read.
    bool loaded = false;
    bool whole = false;
    std::string data;                         // the whole message, or only its header
    mail::MessageSummary summary;
    std::optional<std::string> header_text;   // TEXT: the whole header, decoded
    std::optional<std::string> body_text;     // BODY and TEXT

    void prepare(const SearchKey& key) {
        if (is_text_key(key.kind)) matchers.emplace(&key, mail::SubstringMatcher(mail::search_key_text(key.value)));
        for (const SearchKey& child : key.children) prepare(child);
    }

    void next_message() {
        loaded = false;
        whole = false;
        data.clear();
        summary = {};
        header_text.reset();
        body_text.reset();
    }

    std::string_view header() const { return std::string_view(data).substr(0, mail::header_section_size(data)); }

    const std::string& whole_header() {
        if (!header_text) header_text = mail::header_search_text(header());
        return *header_text;
    }
};

io::Task<void> Session::off_ring(size_t bytes, std::function<void()> work) {
    if (bytes < kOffRingBytes) {
        work();
        co_return;
    }
    auto computing = backend_.compute(user_, work);
    auto r = co_await std::move(computing);
    // Refused (the pool is full or stopping): the answer still has to be right.
    if (!r) work();
}

io::Task<void> Session::load_for_search(const MessageInfo& m, bool body, SearchContext& ctx) {
    if (!ctx.loaded) {
        ctx.loaded = true;
        ctx.whole = m.size <= config_.stream_threshold;
        auto t = backend_.read_message(user_, sel_->name, m.uid, true, ctx.whole);
        auto r = co_await std::move(t);
        if (!r || !r->has_value()) {   // expunged meanwhile: no text to match
            ctx.body_text.emplace();
            co_return;
        }
        ctx.summary = std::move((*r)->summary);
        if (ctx.whole) {
            ctx.data = std::move((*r)->data);
        } else {
            auto h = backend_.read_range(user_, sel_->name, m.uid, 0, ctx.summary.root.header_size);
            auto got = co_await std::move(h);
            if (got && got->has_value()) ctx.data = std::move(**got);
        }
    }
    if (!body || ctx.body_text) co_return;
    if (ctx.whole) {
        std::function<void()> decode = [&ctx] { ctx.body_text = mail::body_search_text(ctx.data, ctx.summary.root); };
        auto decoding = off_ring(ctx.data.size(), std::move(decode));
        co_await std::move(decoding);
        co_return;
    }
    // Part by part: an attachment of many megabytes is never read.
    std::string text;
    for (const mail::BodyTextSource& source : mail::body_text_sources(ctx.summary.root)) {
        if (text.size() >= mail::kMaxBodySearchText) break;
        uint64_t n = mail::raw_bytes_for(source, mail::kMaxBodySearchText - text.size());
        auto t = backend_.read_range(user_, sel_->name, m.uid, source.offset, n);
        auto got = co_await std::move(t);
        if (!got || !got->has_value()) break;
        const std::string& raw = **got;
        std::function<void()> decode = [&text, &source, &raw] { mail::append_body_text(text, source, raw); };
        auto decoding = off_ring(raw.size(), std::move(decode));
        co_await std::move(decoding);
    }
    ctx.body_text = std::move(text);
}

io::Task<bool> Session::search_text(const SearchKey& key, const MessageInfo& m, SearchContext& ctx) {
    const bool body = key.kind == SearchKind::kBody || key.kind == SearchKind::kText;
    auto load = load_for_search(m, body, ctx);
    co_await std::move(load);
    std::string_view header = ctx.header();
    auto found_in = [&](std::string_view text) { return ctx.matchers.at(&key).found_in(text); };
    switch (key.kind) {
    case SearchKind::kFrom:
    case SearchKind::kTo:
    case SearchKind::kCc:
    case SearchKind::kBcc: co_return found_in(mail::address_search_text(header, address_field(key.kind)));
    case SearchKind::kSubject: co_return found_in(mail::field_search_text(header, "Subject"));
    case SearchKind::kHeader:
        // RFC 3501 6.4.4: an empty string matches every message that has
        // the field.
        if (key.value.empty()) co_return mail::has_header_field(header, key.field);
        co_return found_in(mail::field_search_text(header, key.field));
    case SearchKind::kBody:
    case SearchKind::kText: {
        if (key.kind == SearchKind::kText && found_in(ctx.whole_header())) co_return true;
        // The body is the one text that can be megabytes long: matched off the ring.
        bool found = false;
        const std::string& text = *ctx.body_text;
        std::function<void()> match = [&found, &found_in, &text] { found = found_in(text); };
        auto matching = off_ring(text.size(), std::move(match));
        co_await std::move(matching);
        co_return found;
    }
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
    default: co_return false;
    }
}

io::Task<bool> Session::matches(const SearchKey& key, uint32_t seq, const MessageInfo& m, SearchContext& ctx) {
    const auto& msgs = sel_->messages;
    switch (key.kind) {
    case SearchKind::kAll: co_return true;
    case SearchKind::kAnd:
        for (const auto& c : key.children) {
            auto t = matches(c, seq, m, ctx);
            if (!(co_await std::move(t))) co_return false;
        }
        co_return true;
    case SearchKind::kOr:
        for (const auto& c : key.children) {
            auto t = matches(c, seq, m, ctx);
            if (co_await std::move(t)) co_return true;
        }
        co_return false;
    case SearchKind::kNot: {
        if (key.children.empty()) co_return false;
        auto t = matches(key.children[0], seq, m, ctx);
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
        auto t = search_text(key, m, ctx);
        co_return co_await std::move(t);
    }
    }
}

io::Task<void> Session::search(const Command& cmd, std::string& out) {
    const auto& a = cmd.get<SearchArgs>();
    // RFC 3501 6.4.4: strings are in the CHARSET given (US-ASCII if none);
    // UTF-8 covers US-ASCII, and the text searched is UTF-8.
    if (!a.charset.empty() && a.charset != "US-ASCII" && a.charset != "UTF-8") {
        tagged(out, cmd.tag, "NO", "[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
        co_return;
    }
    SearchContext ctx;
    ctx.prepare(a.key);
    std::string line = "* SEARCH";
    // A copy: the view may not change during SEARCH, but be safe.
    std::vector<MessageInfo> msgs = sel_->messages;
    CommandBudget budget = command_budget();
    for (size_t i = 0; i < msgs.size(); ++i) {
        auto going_on = budget.checkpoint();
        if (!(co_await std::move(going_on))) {
            time_limit_reached(out, cmd.tag);
            co_return;
        }
        ctx.next_message();
        auto t = matches(a.key, static_cast<uint32_t>(i + 1), msgs[i], ctx);
        if (co_await std::move(t)) line += " " + std::to_string(cmd.uid ? msgs[i].uid : i + 1);
        if (!sel_) co_return;
    }
    out += line + "\r\n";
    tagged(out, cmd.tag, "OK", "SEARCH completed");
}

}  // namespace ringpost::imap
