// The IMAP session: FETCH (see session.hpp).
//
// Small messages are read whole in one store call (with their stored MIME
// summary when an item needs it) and every item is cut from memory. A
// message larger than stream_threshold is never held whole: its summary
// locates the section, and the section's bytes are read in chunks and
// flushed to the client as they come. Replies are flushed per message once
// they pass flush_threshold, so FETCH 1:* BODY[] over a big mailbox runs in
// bounded memory. Either way a message's bytes go out with NUL as 0x80
// (response.hpp), so sizes and offsets count what is sent.
#include "imap/session.hpp"

#include <algorithm>

#include "imap/date_time.hpp"
#include "imap/response.hpp"
#include "imap/session_util.hpp"
#include "util/log.hpp"

namespace ringpost::imap {

using namespace detail;

namespace {

bool is_section(FetchAttr a) {
    return a == FetchAttr::kRfc822 || a == FetchAttr::kRfc822Header || a == FetchAttr::kRfc822Text ||
           a == FetchAttr::kBodySection;
}

// RFC822, RFC822.HEADER and RFC822.TEXT as the sections they stand for.
Section section_of(const FetchItem& it) {
    if (it.attr == FetchAttr::kBodySection) return it.section;
    Section s;
    if (it.attr == FetchAttr::kRfc822Header) s.text = Section::Text::kHeader;
    if (it.attr == FetchAttr::kRfc822Text) s.text = Section::Text::kText;
    return s;
}

// [offset, offset + size) narrowed by a <partial> (RFC 3501 6.4.5).
void apply_partial(const FetchItem& it, SectionRange& r) {
    if (!it.partial) return;
    if (it.partial_offset >= r.size) {
        r.size = 0;
        return;
    }
    r.offset += it.partial_offset;
    r.size = std::min<uint64_t>(r.size - it.partial_offset, it.partial_length);
}

std::string_view cut(std::string_view data, uint64_t offset, uint64_t size) {
    if (offset >= data.size()) return {};
    return data.substr(offset, size);
}

}  // namespace

io::Task<void> Session::fetch(const Command& cmd, std::string& out) {
    const auto& a = cmd.get<FetchArgs>();
    if (!cmd.uid && a.set.max_number() > sel_->messages.size()) {
        tagged(out, cmd.tag, "BAD", "Message sequence number out of range");
        co_return;
    }
    std::vector<FetchItem> items = a.items;
    bool sets_seen = false, has_uid = false, has_flags = false;
    for (const auto& it : items) {
        if (it.attr == FetchAttr::kUid) has_uid = true;
        if (it.attr == FetchAttr::kFlags) has_flags = true;
        if (it.attr == FetchAttr::kRfc822 || it.attr == FetchAttr::kRfc822Text ||
            (it.attr == FetchAttr::kBodySection && !it.peek))
            sets_seen = true;
    }
    if (cmd.uid && !has_uid) {
        FetchItem u;
        u.attr = FetchAttr::kUid;
        items.insert(items.begin(), u);
    }
    if (sel_->read_only) sets_seen = false;
    std::vector<size_t> idx = resolve(a.set, cmd.uid);
    if (sets_seen) {
        std::vector<uint32_t> unseen;
        for (size_t i : idx)
            if (!(sel_->messages[i].flags & kSeen)) unseen.push_back(sel_->messages[i].uid);
        if (!unseen.empty()) {
            auto t = backend_.change_flags(user_, sel_->name, std::move(unseen), kSeen, 0, false, origin());
            auto r = co_await std::move(t);
            if (r) {
                for (auto [uid, flags] : *r) {
                    auto it = std::lower_bound(sel_->messages.begin(), sel_->messages.end(), uid,
                                               [](const MessageInfo& m, uint32_t u) { return m.uid < u; });
                    if (it != sel_->messages.end() && it->uid == uid) it->flags = flags;
                }
            }
        }
        if (!has_flags) {
            FetchItem f;
            f.attr = FetchAttr::kFlags;
            items.push_back(f);
        }
    }
    CommandBudget budget = command_budget();
    for (size_t i : idx) {
        if (!sel_ || i >= sel_->messages.size()) break;
        auto going_on = budget.checkpoint();
        if (!(co_await std::move(going_on))) {
            time_limit_reached(out, cmd.tag);
            co_return;
        }
        auto one = fetch_one(items, i, out);
        co_await std::move(one);
        auto flushing = flush_if_over(out, config_.flush_threshold);
        if (!(co_await std::move(flushing))) co_return;
    }
    tagged(out, cmd.tag, "OK", cmd.uid ? "UID FETCH completed" : "FETCH completed");
}

io::Task<bool> Session::fetch_one(const std::vector<FetchItem>& items, size_t index, std::string& out) {
    const MessageInfo m = sel_->messages[index];
    bool want_summary = false, has_sections = false;
    for (const auto& it : items) {
        if (it.attr == FetchAttr::kEnvelope || it.attr == FetchAttr::kBody || it.attr == FetchAttr::kBodyStructure)
            want_summary = true;
        if (is_section(it.attr)) {
            has_sections = true;
            if (needs_summary(section_of(it))) want_summary = true;
        }
    }
    const bool streamed = has_sections && m.size > config_.stream_threshold;
    const bool want_data = has_sections && !streamed;
    MessageContent content;
    if (want_summary || want_data) {
        auto t = backend_.read_message(user_, sel_->name, m.uid, want_summary, want_data);
        auto r = co_await std::move(t);
        if (!r || !r->has_value()) co_return false;   // expunged meanwhile: skip it
        content = std::move(**r);
    }
    const uint64_t size = want_data ? content.data.size() : m.size;

    out += "* " + std::to_string(index + 1) + " FETCH (";
    bool first = true;
    for (const auto& it : items) {
        if (!first) out += ' ';
        first = false;
        append_fetch_item_name(out, it);
        out += ' ';
        switch (it.attr) {
        case FetchAttr::kFlags: append_flags(out, m.flags, sel_->keywords, sel_->is_recent(m.uid)); break;
        case FetchAttr::kUid: out += std::to_string(m.uid); break;
        case FetchAttr::kInternalDate: append_date_time(out, m.internal_date, 0); break;
        case FetchAttr::kRfc822Size: out += std::to_string(m.size); break;
        case FetchAttr::kEnvelope: out += content.summary.envelope; break;
        case FetchAttr::kBody: out += content.summary.body; break;
        case FetchAttr::kBodyStructure: out += content.summary.bodystructure; break;
        case FetchAttr::kRfc822:
        case FetchAttr::kRfc822Header:
        case FetchAttr::kRfc822Text:
        case FetchAttr::kBodySection: {
            const Section sec = section_of(it);
            SectionRange r = needs_summary(sec) ? locate_section(sec, content.summary, size)
                                                : SectionRange{0, size, false};
            if (r.fields) {
                // A header block: small even in a big message.
                std::string header;
                if (streamed) {
                    auto t = backend_.read_range(user_, sel_->name, m.uid, r.offset, r.size);
                    auto got = co_await std::move(t);
                    if (got && got->has_value()) header = std::move(**got);
                } else {
                    header = std::string(cut(content.data, r.offset, r.size));
                }
                std::string text = mail::header_fields(header, sec.fields, sec.text == Section::Text::kHeaderFieldsNot);
                SectionRange whole{0, text.size(), false};
                apply_partial(it, whole);
                append_message_literal(out, cut(text, whole.offset, whole.size));
                break;
            }
            apply_partial(it, r);
            if (!streamed) {
                append_message_literal(out, cut(content.data, r.offset, r.size));
                break;
            }
            auto s = stream_literal(m.uid, r.offset, std::min<uint64_t>(r.size, size - std::min(size, r.offset)),
                                    out);
            if (!(co_await std::move(s))) co_return false;
            break;
        }
        }
    }
    out += ")\r\n";
    co_return true;
}

io::Task<bool> Session::stream_literal(uint32_t uid, uint64_t offset, uint64_t size, std::string& out) {
    out += '{';
    out += std::to_string(size);
    out += "}\r\n";
    uint64_t done = 0;
    while (done < size) {
        uint64_t n = std::min<uint64_t>(config_.stream_threshold, size - done);
        auto t = backend_.read_range(user_, sel_->name, uid, offset + done, n);
        auto r = co_await std::move(t);
        if (!r || !r->has_value() || (*r)->size() != n) {
            // Part of the literal may be on its way already: the only honest
            // end is to drop the connection (the client re-syncs on reconnect).
            log::warn("imap_fetch_vanished", {{"user", user_}, {"uid", uid}});
            lost_ = true;
            co_return false;
        }
        append_message_bytes(out, **r);
        done += n;
        auto flushing = flush_if_over(out, config_.flush_threshold);
        if (!(co_await std::move(flushing))) co_return false;
    }
    co_return true;
}

}  // namespace ringpost::imap
