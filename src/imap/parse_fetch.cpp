// FETCH arguments (RFC 3501 6.4.5, RFC 9051 6.4.5): the data items, the
// ALL/FAST/FULL macros, BODY[section]<partial> and BODY.PEEK. BINARY
// (RFC 3516) and fetch modifiers (CONDSTORE's CHANGEDSINCE) are refused.
#include <algorithm>

#include "imap/chars.hpp"
#include "imap/parser_internal.hpp"

namespace ringpost::imap::detail {

namespace {

constexpr size_t kMaxItems = 256;
constexpr size_t kMaxFields = 1000;
constexpr size_t kMaxPartDepth = 64;

bool iequals_upper(std::string_view s, std::string_view upper) {
    if (s.size() != upper.size()) return false;
    for (size_t i = 0; i < s.size(); ++i) {
        if (to_upper(s[i]) != upper[i]) return false;
    }
    return true;
}

// The name of a fetch-att: atom characters up to "[" or "<".
bool is_att_char(char c) { return is_atom_char(c) && c != '[' && c != '<'; }

// section-spec inside "[...]", without its brackets.
bool parse_section(Lexer& lx, Section& s) {
    std::string_view spec = lx.word(is_att_char);
    size_t i = 0;
    while (i < spec.size() && is_digit(spec[i])) {
        if (spec[i] == '0') return lx.fail("Invalid section part number");
        uint64_t n = 0;
        while (i < spec.size() && is_digit(spec[i])) {
            n = n * 10 + static_cast<uint64_t>(spec[i] - '0');
            if (n > UINT32_MAX) return lx.fail("Invalid section part number");
            ++i;
        }
        if (s.part.size() >= kMaxPartDepth) return lx.fail("Section nested too deeply");
        s.part.push_back(static_cast<uint32_t>(n));
        if (i == spec.size()) break;
        if (spec[i] != '.' || i + 1 == spec.size()) return lx.fail("Invalid section");
        ++i;
    }
    std::string_view text = spec.substr(i);
    if (text.empty()) {
        s.text = Section::Text::kAll;
    } else if (iequals_upper(text, "HEADER")) {
        s.text = Section::Text::kHeader;
    } else if (iequals_upper(text, "HEADER.FIELDS")) {
        s.text = Section::Text::kHeaderFields;
    } else if (iequals_upper(text, "HEADER.FIELDS.NOT")) {
        s.text = Section::Text::kHeaderFieldsNot;
    } else if (iequals_upper(text, "TEXT")) {
        s.text = Section::Text::kText;
    } else if (iequals_upper(text, "MIME") && !s.part.empty()) {
        s.text = Section::Text::kMime;
    } else {
        return lx.fail("Invalid section");
    }
    if (s.text == Section::Text::kHeaderFields || s.text == Section::Text::kHeaderFieldsNot) {
        if (!lx.sp() || !lx.expect('(', "Expected header field list")) return false;
        lx.skip_sp();
        while (!lx.eat(')')) {
            if (s.fields.size() >= kMaxFields) return lx.fail("Too many header fields");
            std::string field;
            if (!lx.astring(field, "Expected header field name")) return false;
            bool valid = std::all_of(field.begin(), field.end(), [](char c) {
                return c > ' ' && c < 0x7f && c != ':';
            });
            if (!valid) return lx.fail("Invalid header field name");
            s.fields.push_back(std::move(field));
            if (!lx.skip_sp() && lx.peek() != ')') return lx.fail("Invalid header field list");
        }
        if (s.fields.empty()) return lx.fail("Empty header field list");
    }
    return lx.expect(']', "Invalid section");
}

// "<" number "." nz-number ">".
bool parse_partial(Lexer& lx, FetchItem& item) {
    lx.eat('<');
    if (!lx.number(item.partial_offset, "Invalid partial") || !lx.expect('.', "Invalid partial") ||
        !lx.number(item.partial_length, "Invalid partial") || !lx.expect('>', "Invalid partial")) {
        return false;
    }
    if (item.partial_length == 0) return lx.fail("Invalid partial");
    item.partial = true;
    return true;
}

void add(std::vector<FetchItem>& items, FetchAttr attr) {
    FetchItem item;
    item.attr = attr;
    items.push_back(std::move(item));
}

// One fetch-att; `top`: a macro is allowed (not inside a list).
bool parse_item(Lexer& lx, std::vector<FetchItem>& items, bool top) {
    std::string_view name = lx.word(is_att_char);
    if (name.empty()) return lx.fail("Expected fetch attribute");
    if (iequals_upper(name, "ALL") || iequals_upper(name, "FAST") || iequals_upper(name, "FULL")) {
        if (!top) return lx.fail("Fetch macros cannot be combined");
        add(items, FetchAttr::kFlags);
        add(items, FetchAttr::kInternalDate);
        add(items, FetchAttr::kRfc822Size);
        if (!iequals_upper(name, "FAST")) add(items, FetchAttr::kEnvelope);
        if (iequals_upper(name, "FULL")) add(items, FetchAttr::kBody);
        return true;
    }
    static constexpr struct {
        std::string_view name;
        FetchAttr attr;
    } kSimple[] = {
        {"FLAGS", FetchAttr::kFlags},
        {"UID", FetchAttr::kUid},
        {"INTERNALDATE", FetchAttr::kInternalDate},
        {"RFC822.SIZE", FetchAttr::kRfc822Size},
        {"RFC822", FetchAttr::kRfc822},
        {"RFC822.HEADER", FetchAttr::kRfc822Header},
        {"RFC822.TEXT", FetchAttr::kRfc822Text},
        {"ENVELOPE", FetchAttr::kEnvelope},
        {"BODYSTRUCTURE", FetchAttr::kBodyStructure},
    };
    for (const auto& s : kSimple) {
        if (iequals_upper(name, s.name)) {
            add(items, s.attr);
            return true;
        }
    }
    bool peek = iequals_upper(name, "BODY.PEEK");
    if (peek || iequals_upper(name, "BODY")) {
        if (!lx.eat('[')) {
            if (peek) return lx.fail("Expected section after BODY.PEEK");
            add(items, FetchAttr::kBody);
            return true;
        }
        FetchItem item;
        item.attr = FetchAttr::kBodySection;
        item.peek = peek;
        if (!parse_section(lx, item.section)) return false;
        if (lx.peek() == '<' && !parse_partial(lx, item)) return false;
        items.push_back(std::move(item));
        return true;
    }
    if (iequals_upper(name, "BINARY") || iequals_upper(name, "BINARY.PEEK") || iequals_upper(name, "BINARY.SIZE")) {
        return lx.fail("BINARY is not supported");
    }
    return lx.fail("Unknown fetch attribute");
}

}  // namespace

bool parse_fetch(Lexer& lx, Command& cmd) {
    FetchArgs& a = cmd.args.emplace<FetchArgs>();
    if (!lx.sp() || !lx.sequence_set(a.set) || !lx.sp()) return false;
    if (lx.eat('(')) {
        lx.skip_sp();
        while (!lx.eat(')')) {
            if (a.items.size() >= kMaxItems) return lx.fail("Too many fetch attributes");
            if (!parse_item(lx, a.items, false)) return false;
            if (!lx.skip_sp() && lx.peek() != ')') {
                return lx.fail(lx.at_line_end() ? "Unterminated fetch attribute list" : "Invalid fetch attribute list");
            }
        }
        if (a.items.empty()) return lx.fail("Empty fetch attribute list");
    } else if (!parse_item(lx, a.items, true)) {
        return false;
    }
    if (lx.skip_sp() && lx.peek() == '(') return lx.fail("FETCH modifiers are not supported");
    return lx.end();
}

}  // namespace ringpost::imap::detail
