// ASCII case mapping for protocol tokens: domains (RFC 5321 2.4), keywords,
// header names. Bytes outside A-Z are left alone, so UTF-8 passes through
// unchanged (no locale, unlike std::tolower).
#pragma once

#include <string>
#include <string_view>

namespace ringpost::util {

constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

inline std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

// RFC 5234 WSP: the blanks inside a line (and of a header's folding).
constexpr bool is_wsp(char c) { return c == ' ' || c == '\t'; }
// WSP or a line end: what separates tokens where CR and LF may appear too.
constexpr bool is_wsp_or_eol(char c) { return is_wsp(c) || c == '\r' || c == '\n'; }

constexpr bool is_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

constexpr bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

constexpr bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

}  // namespace ringpost::util
