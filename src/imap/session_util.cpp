// Helpers shared by the session's command files (see session_util.hpp).
#include "imap/session_util.hpp"

#include <cctype>

#include "imap/mailbox_name.hpp"
#include "imap/response.hpp"
#include "mail/header_block.hpp"
#include "util/ascii.hpp"

namespace ringpost::imap::detail {
namespace {

constexpr std::string_view kFlagNames[] = {"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"};
constexpr uint32_t kFlagBits[] = {kSeen, kAnswered, kFlagged, kDeleted, kDraft};

}  // namespace

void append_flags(std::string& out, uint32_t flags, const std::vector<std::string>& keywords, bool recent) {
    out += '(';
    bool first = true;
    if (recent) {
        out += "\\Recent";
        first = false;
    }
    for (size_t i = 0; i < 5; ++i) {
        if (!(flags & kFlagBits[i])) continue;
        if (!first) out += ' ';
        out += kFlagNames[i];
        first = false;
    }
    for (size_t i = 0; i < keywords.size() && kFirstKeywordBit + i < 32; ++i) {
        if (!(flags & (1u << (kFirstKeywordBit + i)))) continue;
        if (!first) out += ' ';
        out += keywords[i];
        first = false;
    }
    out += ')';
}

std::string flag_names(const std::vector<std::string>& keywords) {
    std::string out = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";
    for (const auto& k : keywords) {
        out += ' ';
        out += k;
    }
    return out;
}

uint32_t flag_bits(const std::vector<std::string>& flags, std::vector<std::string>& keywords) {
    uint32_t bits = 0;
    for (const auto& f : flags) {
        if (!f.empty() && f[0] == '\\') {
            for (size_t i = 0; i < 5; ++i)
                if (ci_equal(f, kFlagNames[i])) bits |= kFlagBits[i];
            continue;
        }
        bool known = false;
        for (const auto& k : keywords) known = known || ci_equal(k, f);
        if (!known) keywords.push_back(f);
    }
    return bits;
}

uint32_t flag_bit(std::string_view f, const std::vector<std::string>& keywords) {
    if (!f.empty() && f[0] == '\\') {
        for (size_t i = 0; i < 5; ++i)
            if (ci_equal(f, kFlagNames[i])) return kFlagBits[i];
        return 0;
    }
    for (size_t i = 0; i < keywords.size() && kFirstKeywordBit + i < 32; ++i)
        if (ci_equal(keywords[i], f)) return 1u << (kFirstKeywordBit + i);
    return 0;
}

bool ci_equal(std::string_view a, std::string_view b) { return util::iequals(a, b); }

std::string_view header_of(std::string_view msg) {
    size_t p = msg.find("\r\n\r\n");
    if (p != std::string_view::npos) return msg.substr(0, p + 4);
    p = msg.find("\n\n");
    if (p != std::string_view::npos) return msg.substr(0, p + 2);
    return msg;
}

std::string header_values(std::string_view header, std::string_view name) {
    std::string values;
    bool in_field = false;
    size_t pos = 0;
    while (pos < header.size()) {
        size_t eol = header.find('\n', pos);
        if (eol == std::string_view::npos) eol = header.size();
        std::string_view line = header.substr(pos, eol - pos);
        pos = eol + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break;
        if (line[0] == ' ' || line[0] == '\t') {
            if (in_field) values.append(line);
            continue;
        }
        size_t colon = line.find(':');
        in_field = colon != std::string_view::npos && ci_equal(line.substr(0, colon), name);
        if (in_field) {
            if (!values.empty()) values += '\n';
            values.append(line.substr(colon + 1));
        }
    }
    return values;
}

void status_items(std::string& out, const MailboxStatus& s, const StatusItems& items) {
    std::string body;
    auto add = [&](std::string_view k, uint64_t v) {
        if (!body.empty()) body += ' ';
        body += k;
        body += ' ';
        body += std::to_string(v);
    };
    if (items.messages) add("MESSAGES", s.messages);
    if (items.recent) add("RECENT", s.recent);
    if (items.uidnext) add("UIDNEXT", s.uidnext);
    if (items.uidvalidity) add("UIDVALIDITY", s.uidvalidity);
    if (items.unseen) add("UNSEEN", s.unseen);
    if (items.size) add("SIZE", s.bytes);
    out += "* STATUS ";
    append_mailbox(out, s.name);
    out += " (" + body + ")\r\n";
}

// The range of `sec` inside the message or part `msg` (HEADER / TEXT / ...).
SectionRange locate_section(const Section& sec, const mail::MessageSummary& summary, uint64_t message_size) {
    SectionRange r;
    const mail::MimePart* part = mail::find_part(summary.root, sec.part);
    if (!part) return r;
    const mail::MimePart* msg = part;   // the message whose HEADER/TEXT is meant
    if (!sec.part.empty()) {
        if (sec.text == Section::Text::kAll) return {part->body_offset, part->body_size, false};
        if (sec.text == Section::Text::kMime) return {part->header_offset, part->header_size, false};
        if (part->parts.size() != 1 || part->type != "message") return r;
        msg = &part->parts[0];
    }
    switch (sec.text) {
    case Section::Text::kAll: return {0, message_size, false};
    case Section::Text::kHeader:
    case Section::Text::kMime: return {msg->header_offset, msg->header_size, false};
    case Section::Text::kText: return {msg->body_offset, msg->body_size, false};
    case Section::Text::kHeaderFields:
    case Section::Text::kHeaderFieldsNot: return {msg->header_offset, msg->header_size, true};
    }
    return r;
}

bool needs_summary(const Section& sec) { return !sec.part.empty() || sec.text != Section::Text::kAll; }

std::string section_text(const Section& sec, const mail::MessageSummary& summary, std::string_view data) {
    SectionRange r = locate_section(sec, summary, data.size());
    if (r.offset > data.size()) return {};
    std::string_view bytes = data.substr(r.offset, r.size);
    if (r.fields) return mail::header_fields(bytes, sec.fields, sec.text == Section::Text::kHeaderFieldsNot);
    return std::string(bytes);
}

}  // namespace ringpost::imap::detail
