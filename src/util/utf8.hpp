// UTF-8 decoding and encoding, shared by IMAP's modified UTF-7 mailbox names
// and the text decoders behind SEARCH (src/mail).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringpost::utf8 {

inline constexpr uint32_t kReplacementChar = 0xFFFD;

// Decodes the code point at s[i] (i < s.size()) into `cp` and moves `i`
// past it. Overlong forms, surrogates, values above U+10FFFF and truncated
// sequences are invalid: false, and `i` moves one byte.
bool next_code_point(std::string_view s, size_t& i, uint32_t& cp);

void append(std::string& out, uint32_t cp);

// Whether all of `s` is valid UTF-8 (next_code_point's rules).
bool valid(std::string_view s);
// `bytes` as valid UTF-8: valid sequences kept, each invalid byte U+FFFD.
std::string sanitize(std::string_view bytes);

}  // namespace ringpost::utf8
