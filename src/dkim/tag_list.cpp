#include "dkim/tag_list.hpp"

namespace ringpost::dkim {
namespace {

constexpr bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

// VALCHAR (%x21-3A / %x3C-7E); bytes over 0x7E are let through, as UTF-8
// in i= (RFC 8616) and in key notes appears in the wild.
constexpr bool is_valchar(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x21 && u != ';' && u != 0x7F;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_fws(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_fws(s.back())) s.remove_suffix(1);
    return s;
}

bool valid_name(std::string_view name) {
    if (name.empty() || !is_alpha(name[0])) return false;
    for (char c : name)
        if (!is_alpha(c) && !is_digit(c) && c != '_') return false;
    return true;
}

// One tag-spec (text between two ";"); an error says what is wrong.
Result<Tag> parse_spec(std::string_view spec) {
    const size_t eq = spec.find('=');
    if (eq == std::string_view::npos)
        return make_error("tag without \"=\": \"" + std::string(trim(spec).substr(0, 40)) + "\"");
    const std::string_view name = trim(spec.substr(0, eq));
    if (!valid_name(name)) return make_error("invalid tag name \"" + std::string(name.substr(0, 40)) + "\"");
    const std::string_view value = trim(spec.substr(eq + 1));
    for (char c : value)
        if (!is_valchar(c) && !is_fws(c))
            return make_error("invalid character in the value of " + std::string(name) + "=");
    return Tag{name, value};
}

}  // namespace

Result<TagList> TagList::parse(std::string_view text) {
    TagList list;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t semi = text.find(';', pos);
        const bool last = semi == std::string_view::npos;
        if (last) semi = text.size();
        const std::string_view spec = text.substr(pos, semi - pos);
        pos = semi + 1;
        // A final ";" (and whitespace after it) is allowed; an empty spec elsewhere is not.
        if (trim(spec).empty()) {
            if (last && !list.tags_.empty()) break;
            return make_error(list.tags_.empty() && last ? "empty tag list" : "empty tag between two \";\"");
        }
        auto tag = parse_spec(spec);
        if (!tag) return tag.error();
        if (list.find(tag->name) != nullptr) return make_error("tag " + std::string(tag->name) + "= occurs twice");
        list.tags_.push_back(*tag);
        if (last) break;
    }
    return list;
}

const std::string_view* TagList::find(std::string_view name) const {
    for (const auto& t : tags_)
        if (t.name == name) return &t.value;
    return nullptr;
}

std::string strip_fws(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value)
        if (!is_fws(c)) out += c;
    return out;
}

std::vector<std::string_view> split_colon_list(std::string_view value) {
    std::vector<std::string_view> out;
    size_t pos = 0;
    while (true) {
        const size_t colon = value.find(':', pos);
        out.push_back(trim(value.substr(pos, colon == std::string_view::npos ? std::string_view::npos : colon - pos)));
        if (colon == std::string_view::npos) break;
        pos = colon + 1;
    }
    return out;
}

}  // namespace ringpost::dkim
