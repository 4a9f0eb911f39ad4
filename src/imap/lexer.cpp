// The IMAP tokenizer (see lexer.hpp).
#include "imap/lexer.hpp"

#include "imap/chars.hpp"
#include "imap/mailbox_name.hpp"
#include "util/ascii.hpp"

namespace ringpost::imap {

namespace {

constexpr int kMaxValueDepth = 8;

using util::iequals;

// The system flags of RFC 3501 2.3.2, in canonical case.
constexpr std::string_view kSystemFlags[] = {"\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft", "\\Recent"};

bool is_date_char(char c) { return is_digit(c) || (to_upper(c) >= 'A' && to_upper(c) <= 'Z') || c == '-'; }

}  // namespace

Lexer::Lexer(const RawCommand& raw, const ParseOptions& options)
    : text_(raw.text), literals_(raw.literals), options_(options) {}

bool Lexer::fail(std::string_view message) {
    if (error_.empty()) error_ = message;
    return false;
}

bool Lexer::eat(char c) {
    if (at_line_end() || text_[pos_] != c) return false;
    ++pos_;
    return true;
}

bool Lexer::expect(char c, std::string_view message) { return eat(c) || fail(message); }

bool Lexer::skip_sp() {
    if (peek() != ' ') return false;
    while (peek() == ' ') ++pos_;
    return true;
}

bool Lexer::sp() { return skip_sp() || fail(at_line_end() ? "Missing argument" : "Expected space"); }

bool Lexer::end() {
    skip_sp();
    if (pos_ >= text_.size()) return true;
    return fail("Unexpected extra arguments");
}

bool Lexer::atom(std::string_view& out, std::string_view what) {
    out = word(is_atom_char);
    return !out.empty() || fail(what);
}

bool Lexer::keyword(std::string_view kw) {
    size_t lim = limit();
    if (pos_ + kw.size() > lim) return false;
    if (!iequals(text_.substr(pos_, kw.size()), kw)) return false;
    if (pos_ + kw.size() < lim && is_atom_char(text_[pos_ + kw.size()])) return false;
    pos_ += kw.size();
    return true;
}

bool Lexer::tag(std::string& out) {
    std::string_view t = word(is_tag_char);
    if (t.empty()) return fail("Invalid tag");
    out.assign(t);
    return true;
}

bool Lexer::quoted(std::string& out, std::string_view what) {
    if (!eat('"')) return fail(what);
    out.clear();
    size_t lim = limit();
    while (pos_ < lim) {
        char c = text_[pos_++];
        if (c == '"') return true;
        if (c == '\\') {
            if (pos_ >= lim || (text_[pos_] != '"' && text_[pos_] != '\\')) {
                return fail("Invalid escape in quoted string");
            }
            c = text_[pos_++];
        } else if (c == '\0' || c == '\r' || c == '\n') {
            return fail("Invalid character in quoted string");
        }
        out += c;
    }
    return fail("Unterminated quoted string");
}

bool Lexer::literal(std::string_view& out, std::string_view what) {
    if (peek() != '{' && peek() != '~') return fail(what);
    if (next_literal_ >= literals_.size()) return fail("Literal must end the line");
    const LiteralSpan& span = literals_[next_literal_];
    std::optional<LiteralMarker> m = find_literal_marker(text_.substr(0, span.offset));
    if (!m || m->begin != pos_ || m->size != span.size) return fail("Literal must end the line");
    if (m->binary) return fail("literal8 is not supported");
    out = text_.substr(span.offset, span.size);
    pos_ = span.offset + span.size;
    ++next_literal_;
    return true;
}

bool Lexer::string(std::string& out, std::string_view what) {
    if (peek() == '"') return quoted(out, what);
    if (peek() == '{' || peek() == '~') {
        std::string_view data;
        if (!literal(data, what)) return false;
        if (data.find('\0') != std::string_view::npos) return fail("NUL in literal string");
        out.assign(data);
        return true;
    }
    return fail(what);
}

bool Lexer::astring(std::string& out, std::string_view what) {
    char c = peek();
    if (c == '"' || c == '{') return string(out, what);
    std::string_view a = word(is_astring_char);
    if (a.empty()) return fail(what);
    out.assign(a);
    return true;
}

bool Lexer::nstring(std::optional<std::string>& out, std::string_view what) {
    if (keyword("NIL")) {
        out.reset();
        return true;
    }
    std::string s;
    if (!string(s, what)) return false;
    out = std::move(s);
    return true;
}

bool Lexer::number(uint32_t& out, std::string_view what) {
    uint64_t n;
    if (!number64(n, what)) return false;
    if (n > UINT32_MAX) return fail("Number out of range");
    out = static_cast<uint32_t>(n);
    return true;
}

bool Lexer::number64(uint64_t& out, std::string_view what) {
    std::string_view d = word(is_digit);
    if (d.empty()) return fail(what);
    uint64_t n = 0;
    for (char c : d) {
        n = n * 10 + static_cast<uint64_t>(c - '0');
        if (n > static_cast<uint64_t>(INT64_MAX)) return fail("Number out of range");   // number64, RFC 9051
    }
    out = n;
    return true;
}

bool Lexer::decode_name(std::string& name) {
    // Not a syntax error: the name is an astring, it just names no mailbox
    // that can exist (Dovecot answers NO too, and the session goes on).
    auto invalid = [this](std::string_view why) {
        if (name_error_.empty()) name_error_.assign(why);
        return true;
    };
    if (options_.utf8) return is_valid_utf8(name) || invalid("Mailbox name is not valid UTF-8");
    Result<std::string> decoded = decode_mutf7(name);
    if (!decoded) return invalid(decoded.error().message);
    name = std::move(decoded).value();
    return true;
}

bool Lexer::mailbox(std::string& out, bool normalize) {
    if (!astring(out, "Expected mailbox name") || !decode_name(out)) return false;
    if (normalize) normalize_inbox(out);
    return true;
}

bool Lexer::new_mailbox(std::string& out) {
    if (!mailbox(out)) return false;
    if (out.size() > kMaxNewMailboxName && name_error_.empty()) name_error_ = "Mailbox name too long";
    return true;
}

bool Lexer::list_mailbox(std::string& out) {
    char c = peek();
    if (c == '"' || c == '{') {
        if (!string(out, "Expected mailbox pattern")) return false;
    } else {
        std::string_view w = word(is_list_char);
        if (w.empty()) return fail("Expected mailbox pattern");
        out.assign(w);
    }
    return decode_name(out);
}

bool Lexer::sequence_set(SequenceSet& out) {
    std::string_view w = word([](char c) { return is_digit(c) || c == ':' || c == ',' || c == '*'; });
    if (w.empty()) {
        if (peek() == '$') return fail("SEARCHRES ($) is not supported");
        return fail("Expected sequence set");
    }
    Result<SequenceSet> set = SequenceSet::parse(w);
    if (!set) return fail(set.error().message);
    out = std::move(set).value();
    return true;
}

bool Lexer::flag(std::string& out) {
    bool system = eat('\\');
    if (system && peek() == '*') return fail("\\* is not a flag");
    std::string_view a = word(is_atom_char);
    if (a.empty()) return fail("Invalid flag");
    if (!system) {
        out.assign(a);
        return true;
    }
    for (std::string_view f : kSystemFlags) {
        if (iequals(f.substr(1), a)) {
            out.assign(f);
            return true;
        }
    }
    out.assign("\\");
    out.append(a);
    return true;
}

bool Lexer::flag_list(std::vector<std::string>& out) {
    if (!expect('(', "Expected flag list")) return false;
    skip_sp();
    while (!eat(')')) {
        std::string f;
        if (!flag(f)) return false;
        out.push_back(std::move(f));
        if (!skip_sp() && peek() != ')') return fail("Invalid flag list");
    }
    return true;
}

bool Lexer::date(Date& out) {
    std::optional<Date> d;
    if (peek() == '"') {
        std::string s;
        if (!quoted(s, "Expected date")) return false;
        d = parse_date(s);
    } else {
        d = parse_date(word(is_date_char));
    }
    if (!d) return fail("Invalid date");
    out = *d;
    return true;
}

bool Lexer::date_time(DateTime& out) {
    std::string s;
    if (!quoted(s, "Expected date-time")) return false;
    std::optional<DateTime> dt = parse_date_time(s);
    if (!dt) return fail("Invalid date-time");
    out = *dt;
    return true;
}

bool Lexer::skip_value() { return skip_value(0); }

bool Lexer::skip_value(int depth) {
    if (depth >= kMaxValueDepth) return fail("Parameters nested too deeply");
    char c = peek();
    if (c == '(') {
        ++pos_;
        skip_sp();
        while (!eat(')')) {
            if (at_line_end()) return fail("Unterminated parameter list");
            if (!skip_value(depth + 1)) return false;
            if (!skip_sp() && peek() != ')') return fail("Invalid parameter list");
        }
        return true;
    }
    if (c == '"' || c == '{') {
        std::string ignored;
        return string(ignored, "Invalid parameter");
    }
    std::string_view w = word([](char ch) { return is_atom_char(ch) || ch == '*' || ch == ']' || ch == '%'; });
    return !w.empty() || fail("Invalid parameter");
}

}  // namespace ringpost::imap
