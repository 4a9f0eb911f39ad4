// Writing IMAP response data (see response.hpp).
#include "imap/response.hpp"

#include <algorithm>
#include <charconv>

#include "imap/chars.hpp"
#include "imap/mailbox_name.hpp"

namespace ringpost::imap {

namespace {

void append_number(std::string& out, uint64_t n) {
    char buf[24];
    out.append(buf, static_cast<size_t>(std::to_chars(buf, buf + sizeof buf, n).ptr - buf));
}

bool is_nil(std::string_view s) {
    return s.size() == 3 && to_upper(s[0]) == 'N' && to_upper(s[1]) == 'I' && to_upper(s[2]) == 'L';
}

template <class Flags>
void flag_list(std::string& out, const Flags& flags) {
    out += '(';
    bool first = true;
    for (const auto& f : flags) {
        if (!is_flag(f)) continue;
        if (!first) out += ' ';
        out += f;
        first = false;
    }
    out += ')';
}

}  // namespace

bool is_atom(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_atom_char); }

bool is_astring_atom(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_astring_char); }

bool is_flag(std::string_view s) {
    if (!s.empty() && s.front() == '\\') s.remove_prefix(1);
    return is_atom(s);
}

bool is_quotable(std::string_view s, bool utf8) {
    for (char c : s) {
        unsigned char u = static_cast<unsigned char>(c);
        if (c == '\r' || c == '\n') return false;
        if (u >= 0x80 && !utf8) return false;
    }
    return !utf8 || is_valid_utf8(s);
}

void append_quoted(std::string& out, std::string_view s) {
    out += '"';
    for (char c : s) {
        if (c == '\0') continue;
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    out += '"';
}

void append_literal(std::string& out, std::string_view s) {
    size_t nuls = static_cast<size_t>(std::count(s.begin(), s.end(), '\0'));
    out += '{';
    append_number(out, s.size() - nuls);
    out += "}\r\n";
    if (nuls == 0) {
        out += s;
        return;
    }
    for (char c : s) {
        if (c != '\0') out += c;
    }
}

void append_message_literal(std::string& out, std::string_view bytes) {
    out += '{';
    append_number(out, bytes.size());
    out += "}\r\n";
    append_message_bytes(out, bytes);
}

void append_message_bytes(std::string& out, std::string_view bytes) {
    size_t at = out.size();
    out += bytes;
    std::replace(out.begin() + static_cast<std::ptrdiff_t>(at), out.end(), '\0', '\x80');
}

void append_string(std::string& out, std::string_view s, bool utf8) {
    if (is_quotable(s, utf8)) {
        append_quoted(out, s);
    } else {
        append_literal(out, s);
    }
}

void append_astring(std::string& out, std::string_view s, bool utf8) {
    if (is_astring_atom(s) && !is_nil(s)) {
        out += s;
    } else {
        append_string(out, s, utf8);
    }
}

void append_nstring(std::string& out, std::optional<std::string_view> s, bool utf8) {
    if (!s) {
        out += "NIL";
    } else {
        append_string(out, *s, utf8);
    }
}

void append_mailbox(std::string& out, std::string_view name, bool utf8) {
    if (utf8) {
        append_astring(out, name, true);
    } else {
        append_astring(out, encode_mutf7(name));
    }
}

void append_flag_list(std::string& out, std::span<const std::string> flags) { flag_list(out, flags); }

void append_flag_list(std::string& out, std::span<const std::string_view> flags) { flag_list(out, flags); }

void append_section(std::string& out, const Section& section) {
    for (size_t i = 0; i < section.part.size(); ++i) {
        if (i > 0) out += '.';
        append_number(out, section.part[i]);
    }
    const char* text = nullptr;
    switch (section.text) {
    case Section::Text::kAll: break;
    case Section::Text::kHeader: text = "HEADER"; break;
    case Section::Text::kHeaderFields: text = "HEADER.FIELDS"; break;
    case Section::Text::kHeaderFieldsNot: text = "HEADER.FIELDS.NOT"; break;
    case Section::Text::kText: text = "TEXT"; break;
    case Section::Text::kMime: text = "MIME"; break;
    }
    if (text == nullptr) return;
    if (!section.part.empty()) out += '.';
    out += text;
    if (section.text == Section::Text::kHeaderFields || section.text == Section::Text::kHeaderFieldsNot) {
        out += " (";
        for (size_t i = 0; i < section.fields.size(); ++i) {
            if (i > 0) out += ' ';
            append_astring(out, section.fields[i]);
        }
        out += ')';
    }
}

void append_fetch_item_name(std::string& out, const FetchItem& item) {
    switch (item.attr) {
    case FetchAttr::kFlags: out += "FLAGS"; return;
    case FetchAttr::kUid: out += "UID"; return;
    case FetchAttr::kInternalDate: out += "INTERNALDATE"; return;
    case FetchAttr::kRfc822Size: out += "RFC822.SIZE"; return;
    case FetchAttr::kRfc822: out += "RFC822"; return;
    case FetchAttr::kRfc822Header: out += "RFC822.HEADER"; return;
    case FetchAttr::kRfc822Text: out += "RFC822.TEXT"; return;
    case FetchAttr::kEnvelope: out += "ENVELOPE"; return;
    case FetchAttr::kBody: out += "BODY"; return;
    case FetchAttr::kBodyStructure: out += "BODYSTRUCTURE"; return;
    case FetchAttr::kBodySection:
        out += "BODY[";
        append_section(out, item.section);
        out += ']';
        if (item.partial) {
            out += '<';
            append_number(out, item.partial_offset);
            out += '>';
        }
        return;
    }
}

void append_text(std::string& out, std::string_view text) {
    for (char c : text) {
        unsigned char u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u == 0x7f) ? '?' : c;
    }
}

}  // namespace ringpost::imap
