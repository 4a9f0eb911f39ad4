// SPF macros (RFC 7208 7): checking the syntax of a macro-string (in a
// domain-spec or an unknown modifier) or an explain-string (the exp= TXT
// record), and expanding one: %{s l o d i p v h} everywhere, %{c r t} only in
// explanations; a digit transformer keeps that many right-hand parts, "r"
// reverses, delimiters split (default "."); an upper-case letter URL-escapes
// its value; "%%", "%_" and "%-" are "%", " " and "%20".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "spf/address.hpp"

namespace ringpost::spf {

// The values of one check_host() call (7.2, 7.3).
struct MacroValues {
    std::string sender;          // s: local@domain
    std::string local;           // l
    std::string sender_domain;   // o
    std::string domain;          // d: the domain being checked now
    Ip ip;                       // i, c, v
    std::string helo;            // h
    std::string receiver;        // r
    int64_t now = 0;             // t
    std::string validated;       // p: found by the caller before expanding a string that uses %{p}
};

enum class MacroScope { kDomain, kExplanation };

// Whether `text` is a valid macro-string (kDomain) or explain-string.
bool valid_macros(std::string_view text, MacroScope scope);
// Whether `text` contains %{p} (or %{P}), whose value costs DNS queries.
bool uses_validated_name(std::string_view text);
// The expansion of a valid `text`; "" for an invalid one.
std::string expand_macros(std::string_view text, MacroScope scope, const MacroValues& values);

}  // namespace ringpost::spf
