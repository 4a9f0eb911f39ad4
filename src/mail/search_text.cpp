// Search text; see search_text.hpp.
#include "mail/search_text.hpp"

#include <algorithm>

#include "mail/address_list.hpp"
#include "mail/case_fold.hpp"
#include "mail/charset.hpp"
#include "mail/encoded_words.hpp"
#include "mail/header_block.hpp"
#include "mail/transfer_decoding.hpp"
#include "util/ascii.hpp"

namespace ringpost::mail {

namespace {

// The content of each top-level comment of an RFC 5322 value, skipping
// quoted strings (a "(" in "a (b)" quoted is not a comment).
std::string comments_of(std::string_view value) {
    std::string out;
    size_t i = 0;
    while (i < value.size()) {
        char c = value[i];
        if (c == '"') {
            for (++i; i < value.size() && value[i] != '"'; ++i)
                if (value[i] == '\\') ++i;
            ++i;
        } else if (c == '(') {
            size_t start = ++i;
            int depth = 1;
            for (; i < value.size(); ++i) {
                if (value[i] == '\\') {
                    ++i;
                } else if (value[i] == '(') {
                    ++depth;
                } else if (value[i] == ')' && --depth == 0) {
                    break;
                }
            }
            if (!out.empty()) out += ' ';
            out += value.substr(start, std::min(i, value.size()) - start);
            ++i;
        } else {
            ++i;
        }
    }
    return out;
}

void append_address(std::string& out, const Address& a) {
    switch (a.kind) {
        case Address::Kind::kGroupStart:
            out += decode_encoded_words(a.mailbox);
            out += ": ";
            return;
        case Address::Kind::kGroupEnd:
            out += "; ";
            return;
        case Address::Kind::kMailbox:
            break;
    }
    if (!a.name.empty()) {
        out += decode_encoded_words(a.name);
        out += ' ';
    }
    out += '<';
    if (a.mailbox != kMissingMailbox) out += a.mailbox;
    if (a.host != kMissingDomain) {
        out += '@';
        out += a.host;
    }
    out += ">, ";
}

void append_capped(std::string& out, std::string_view text, size_t cap) {
    if (out.size() >= cap) return;
    size_t n = std::min(text.size(), cap - out.size());
    // Cut on a character boundary, so the text stays valid UTF-8.
    while (n < text.size() && n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    out.append(text.substr(0, n));
}

// Calls f(field) for each field called `name` (any case), in order.
template <typename F>
void for_each_field(std::string_view header_section, std::string_view name, F&& f) {
    HeaderReader reader(header_section);
    HeaderField field;
    while (reader.next(field))
        if (util::iequals(field.name, name)) f(field);
}

// A field's value as searched: unfolded, decoded, folded.
std::string decoded_value(const HeaderField& field) { return fold_case(decode_encoded_words(unfold(field.value))); }

void add_sources(const MimePart& p, std::vector<BodyTextSource>& out) {
    if (!p.parts.empty()) {
        if (p.type == "message") {
            const MimePart& child = p.parts[0];
            out.push_back({child.header_offset, child.header_size, true, {}, {}});
        }
        for (const MimePart& child : p.parts) add_sources(child, out);
        return;
    }
    if (p.type == "text") out.push_back({p.body_offset, p.body_size, false, p.encoding, param(p.params, "charset")});
}

}  // namespace

std::string search_key_text(std::string_view key) { return fold_case(key); }

bool has_header_field(std::string_view header_section, std::string_view name) {
    bool found = false;
    for_each_field(header_section, name, [&](const HeaderField&) { found = true; });
    return found;
}

std::string field_search_text(std::string_view header_section, std::string_view name) {
    std::string out;
    for_each_field(header_section, name, [&](const HeaderField& field) { out += decoded_value(field) + "\n"; });
    return out;
}

std::string address_search_text(std::string_view header_section, std::string_view name) {
    std::string text;
    for_each_field(header_section, name, [&](const HeaderField& field) {
        std::string value = unfold(field.value);
        for (const Address& a : parse_address_list(value)) append_address(text, a);
        text += decode_encoded_words(comments_of(value));
        text += '\n';
    });
    return fold_case(text);
}

std::string header_search_text(std::string_view header_section) {
    std::string out;
    HeaderReader reader(header_section);
    HeaderField field;
    while (reader.next(field)) {
        out += fold_case(field.name) + ": " + decoded_value(field) + "\n";
    }
    return out;
}

std::vector<BodyTextSource> body_text_sources(const MimePart& root) {
    std::vector<BodyTextSource> out;
    add_sources(root, out);
    return out;
}

uint64_t raw_bytes_for(const BodyTextSource& source, size_t budget) {
    // An encoded body never needs more than three raw bytes per byte of
    // text ("=XX" in quoted-printable; base64 with line ends needs 1.4).
    if (source.header) return source.size;
    return std::min<uint64_t>(source.size, static_cast<uint64_t>(budget) * 3 + 3);
}

void append_body_text(std::string& out, const BodyTextSource& source, std::string_view raw, size_t cap) {
    if (out.size() >= cap) return;
    if (source.header) {
        append_capped(out, header_search_text(raw), cap);
    } else {
        raw = raw.substr(0, raw_bytes_for(source, cap - out.size()));
        std::string bytes = decode_transfer_encoding(raw, source.encoding);
        append_capped(out, fold_case(charset_to_utf8(bytes, source.charset)), cap);
    }
    append_capped(out, "\n", cap);
}

std::string body_search_text(std::string_view message, const MimePart& root, size_t cap) {
    std::string out;
    for (const BodyTextSource& source : body_text_sources(root)) {
        if (out.size() >= cap) break;
        std::string_view raw = source.offset <= message.size() ? message.substr(source.offset, source.size)
                                                               : std::string_view();
        append_body_text(out, source, raw, cap);
    }
    return out;
}

}  // namespace ringpost::mail
