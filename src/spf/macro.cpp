#include "spf/macro.hpp"

#include <algorithm>
#include <vector>

namespace ringpost::spf {
namespace {

constexpr std::string_view kDelimiters = ".-+,/_=";

bool is_letter(char ch, MacroScope scope) {
    const char lower = static_cast<char>(ch | 0x20);
    if (std::string_view("slodipvh").find(lower) != std::string_view::npos) return ch >= 'A';
    return scope == MacroScope::kExplanation && std::string_view("crt").find(lower) != std::string_view::npos &&
           ch >= 'A';
}

std::string letter_value(char lower, const MacroValues& v) {
    switch (lower) {
        case 's': return v.sender;
        case 'l': return v.local;
        case 'o': return v.sender_domain;
        case 'd': return v.domain;
        case 'i': return ip_dotted(v.ip);
        case 'p': return v.validated.empty() ? std::string("unknown") : v.validated;
        case 'v': return v.ip.v4 ? "in-addr" : "ip6";
        case 'h': return v.helo;
        case 'c': return ip_text(v.ip);
        case 'r': return v.receiver.empty() ? std::string("unknown") : v.receiver;
        case 't': return std::to_string(v.now);
    }
    return {};
}

// Split on the delimiters, reverse if asked, keep the rightmost `keep`
// parts (0 = all), join with dots (7.3).
std::string transform(const std::string& value, std::string_view delimiters, bool reverse, unsigned keep) {
    std::vector<std::string_view> parts;
    std::string_view rest(value);
    for (;;) {
        const size_t at = rest.find_first_of(delimiters);
        parts.push_back(rest.substr(0, at));
        if (at == std::string_view::npos) break;
        rest.remove_prefix(at + 1);
    }
    if (reverse) std::reverse(parts.begin(), parts.end());
    const size_t first = keep && keep < parts.size() ? parts.size() - keep : 0;
    std::string out;
    for (size_t i = first; i < parts.size(); ++i) {
        if (i > first) out += '.';
        out += parts[i];
    }
    return out;
}

// 7.3: upper-case macros are URL-escaped, everything but the unreserved set.
std::string url_escape(const std::string& value) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char ch : value) {
        const bool unreserved = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                                ch == '-' || ch == '.' || ch == '_' || ch == '~';
        if (unreserved) {
            out += static_cast<char>(ch);
        } else {
            out += '%';
            out += kHex[ch >> 4];
            out += kHex[ch & 15];
        }
    }
    return out;
}

// One "%{...}" at text[0] == '{' (after the '%'): its length through '}'
// and, when `values` is given, its expansion appended to `out`; 0 if invalid.
size_t macro_expand(std::string_view text, MacroScope scope, const MacroValues* values, std::string* out) {
    size_t i = 1;
    if (i >= text.size() || !is_letter(text[i], scope)) return 0;
    const char letter = text[i++];
    unsigned keep = 0;
    size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        if (++digits > 3) return 0;
        keep = keep * 10 + static_cast<unsigned>(text[i++] - '0');
    }
    if (digits > 0 && keep == 0) return 0;   // "the value MUST be nonzero"
    bool reverse = false;
    if (i < text.size() && (text[i] == 'r' || text[i] == 'R')) {
        reverse = true;
        ++i;
    }
    const size_t delims_from = i;
    while (i < text.size() && kDelimiters.find(text[i]) != std::string_view::npos) ++i;
    if (i >= text.size() || text[i] != '}') return 0;
    if (values) {
        std::string_view delims = text.substr(delims_from, i - delims_from);
        std::string value = transform(letter_value(static_cast<char>(letter | 0x20), *values),
                                      delims.empty() ? std::string_view(".") : delims, reverse, keep);
        *out += letter >= 'a' ? value : url_escape(value);
    }
    return i + 1;
}

// Check (values == nullptr) or expand `text`.
bool walk(std::string_view text, MacroScope scope, const MacroValues* values, std::string* out) {
    for (size_t i = 0; i < text.size();) {
        const unsigned char ch = static_cast<unsigned char>(text[i]);
        if (ch != '%') {
            const bool literal = (ch >= 0x21 && ch <= 0x7e) || (ch == ' ' && scope == MacroScope::kExplanation);
            if (!literal) return false;
            if (out) *out += static_cast<char>(ch);
            ++i;
            continue;
        }
        if (i + 1 >= text.size()) return false;
        const char next = text[i + 1];
        if (next == '{') {
            const size_t n = macro_expand(text.substr(i + 1), scope, values, out);
            if (n == 0) return false;
            i += 1 + n;
            continue;
        }
        const char* literal = next == '%' ? "%" : next == '_' ? " " : next == '-' ? "%20" : nullptr;
        if (!literal) return false;
        if (out) *out += literal;
        i += 2;
    }
    return true;
}

}  // namespace

bool valid_macros(std::string_view text, MacroScope scope) { return walk(text, scope, nullptr, nullptr); }

bool uses_validated_name(std::string_view text) {
    for (size_t at = text.find("%{"); at != std::string_view::npos; at = text.find("%{", at + 2)) {
        // "%%{p}" is a literal "%" and "{p}".
        size_t percents = 0;
        for (size_t j = at; j > 0 && text[j - 1] == '%'; --j) ++percents;
        if (percents % 2 == 0 && at + 2 < text.size() && (text[at + 2] | 0x20) == 'p') return true;
    }
    return false;
}

std::string expand_macros(std::string_view text, MacroScope scope, const MacroValues& values) {
    std::string out;
    if (!walk(text, scope, &values, &out)) return {};
    return out;
}

}  // namespace ringpost::spf
