// Content-Type, Content-Disposition, Content-Transfer-Encoding and
// Content-Language parsing; see content_fields.hpp. A small cursor over the
// unfolded value: comments are skipped wherever whitespace may be
// (RFC 2045 allows them), and every loop consumes at least one byte, so
// garbage costs linear time.
#include "mail/content_fields.hpp"

#include "mail/rfc5322_lex.hpp"

#include <algorithm>
#include <cstdint>

#include "mail/header_block.hpp"
#include "util/ascii.hpp"

namespace ringpost::mail {

namespace {

constexpr std::string_view kTspecials = "()<>@,;:\\\"/[]?=";

// A field with more parameters than this is hostile or broken; the rest are
// ignored (real mail has a handful).
constexpr size_t kMaxParams = 256;
// RFC 2231 section numbers beyond this are treated as ordinary names.
constexpr uint32_t kMaxSection = 999;

bool is_token_char(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
    return kTspecials.find(c) == std::string_view::npos;
}

class Cursor {
public:
    explicit Cursor(std::string_view s) : s_(s) {}

    bool done() const { return i_ >= s_.size(); }
    char peek() const { return s_[i_]; }

    bool take(char c) {
        if (done() || s_[i_] != c) return false;
        ++i_;
        return true;
    }

    // Whitespace and (nested (comments)); an unclosed comment runs to the end.
    void skip_cfws() { i_ = rfc5322::skip_cfws(s_, i_); }

    std::string_view token() {
        size_t start = i_;
        while (!done() && is_token_char(s_[i_])) ++i_;
        return s_.substr(start, i_ - start);
    }

    // At a '"': the content with backslash escapes resolved; an unclosed
    // string runs to the end.
    std::string quoted_string() { return rfc5322::quoted_string(s_, i_); }

    // An unquoted parameter value. Broader than a token: real mail has
    // boundary=----=_Part_1 unquoted, so only what cannot be part of a value
    // ends it.
    std::string_view loose_value() {
        size_t start = i_;
        while (!done()) {
            char c = s_[i_];
            if (c == ';' || c == ' ' || c == '\t' || c == '"' || c == '(' || static_cast<unsigned char>(c) < 0x20)
                break;
            ++i_;
        }
        return s_.substr(start, i_ - start);
    }

    // To the next `c` (left for the caller to take), or to the end.
    void skip_to(char c) {
        while (!done() && s_[i_] != c) ++i_;
    }

private:
    std::string_view s_;
    size_t i_ = 0;
};

struct RawParam {
    std::string attribute;   // lower-case, as written otherwise ("name*0*")
    std::string value;
};

// ";" attribute "=" value, repeated, from the cursor to the end.
std::vector<RawParam> read_params(Cursor& c) {
    std::vector<RawParam> out;
    while (out.size() < kMaxParams) {
        c.skip_cfws();
        if (c.done()) break;
        if (!c.take(';')) {   // garbage where a ";" belongs: resynchronise
            c.skip_to(';');
            continue;
        }
        c.skip_cfws();
        std::string attribute = util::ascii_lower(c.token());
        if (attribute.empty()) continue;
        c.skip_cfws();
        if (!c.take('=')) continue;
        c.skip_cfws();
        std::string value;
        if (!c.done() && c.peek() == '"')
            value = c.quoted_string();
        else
            value = std::string(c.loose_value());
        out.push_back({std::move(attribute), std::move(value)});
    }
    return out;
}

// "name*", "name*3" or "name*3*": the RFC 2231 parts of an attribute.
struct Section {
    std::string_view name;
    uint32_t index = 0;
    bool extended = false;
};

bool parse_section(std::string_view attribute, Section& out) {
    size_t star = attribute.find('*');
    if (star == std::string_view::npos || star == 0) return false;
    out.name = attribute.substr(0, star);
    std::string_view rest = attribute.substr(star + 1);
    if (rest.empty()) {   // "name*": one extended piece
        out.index = 0;
        out.extended = true;
        return true;
    }
    uint32_t index = 0;
    size_t i = 0;
    for (; i < rest.size() && rest[i] >= '0' && rest[i] <= '9'; ++i) {
        index = index * 10 + static_cast<uint32_t>(rest[i] - '0');
        if (index > kMaxSection) return false;
    }
    if (i == 0) return false;
    out.index = index;
    out.extended = i < rest.size() && rest[i] == '*';
    if (out.extended) ++i;
    return i == rest.size();
}

// The pieces of one RFC 2231 parameter joined, or, when the pieces do not
// number 0..n-1, each piece as written (as Dovecot does, so nothing is lost).
void append_joined(const std::vector<RawParam>& raw, std::string_view name, MimeParams& out) {
    struct Piece {
        Section section;
        const RawParam* param;
    };
    std::vector<Piece> pieces;
    for (const RawParam& p : raw) {
        Section s;
        if (parse_section(p.attribute, s) && s.name == name) pieces.push_back({s, &p});
    }
    std::stable_sort(pieces.begin(), pieces.end(),
                     [](const Piece& a, const Piece& b) { return a.section.index < b.section.index; });

    bool complete = true;
    bool extended = false;
    for (size_t i = 0; i < pieces.size(); ++i) {
        if (pieces[i].section.index != i) complete = false;
        if (pieces[i].section.extended) extended = true;
    }
    if (!complete) {
        for (const Piece& p : pieces) out.emplace_back(p.param->attribute, p.param->value);
        return;
    }
    std::string value;
    // The first piece carries "charset'language'"; a plain first piece has none.
    if (extended && !pieces.front().section.extended) value = "''";
    for (const Piece& p : pieces) {
        if (extended && !p.section.extended) {
            // Plain text inside an encoded value: only '%' needs escaping.
            for (char c : p.param->value) {
                if (c == '%')
                    value += "%25";
                else
                    value += c;
            }
        } else {
            value += p.param->value;
        }
    }
    out.emplace_back(std::string(name) + (extended ? "*" : ""), std::move(value));
}

// Plain parameters in order; each RFC 2231 parameter where its first piece
// appeared.
MimeParams join_params(const std::vector<RawParam>& raw) {
    MimeParams out;
    std::vector<std::string_view> done;
    for (const RawParam& p : raw) {
        Section s;
        if (!parse_section(p.attribute, s)) {
            out.emplace_back(p.attribute, p.value);
            continue;
        }
        if (std::find(done.begin(), done.end(), s.name) != done.end()) continue;
        done.push_back(s.name);
        append_joined(raw, s.name, out);
    }
    return out;
}

}  // namespace

bool parse_content_type(std::string_view value, ContentType& out) {
    Cursor c(value);
    c.skip_cfws();
    std::string_view type = c.token();
    c.skip_cfws();
    if (type.empty() || !c.take('/')) return false;
    c.skip_cfws();
    std::string_view subtype = c.token();
    if (subtype.empty()) return false;
    out.type = util::ascii_lower(type);
    out.subtype = util::ascii_lower(subtype);
    out.params = join_params(read_params(c));
    return true;
}

void parse_content_disposition(std::string_view value, std::string& disposition, MimeParams& params) {
    Cursor c(value);
    c.skip_cfws();
    disposition = util::ascii_lower(c.token());
    params.clear();
    if (disposition.empty()) return;
    params = join_params(read_params(c));
}

std::string parse_mime_token(std::string_view value) {
    Cursor c(value);
    c.skip_cfws();
    return util::ascii_lower(c.token());
}

std::vector<std::string> split_language_tags(std::string_view value) {
    std::vector<std::string> tags;
    Cursor c(value);
    while (true) {
        c.skip_cfws();
        if (c.done()) break;
        std::string_view tag = c.token();
        if (!tag.empty()) tags.emplace_back(tag);
        c.skip_cfws();
        if (!c.done() && !c.take(',')) c.skip_to(',');   // garbage after a tag
    }
    return tags;
}

}  // namespace ringpost::mail
