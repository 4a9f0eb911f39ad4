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

}  // namespace ringpost::util
