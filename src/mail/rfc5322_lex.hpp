// The two lexical pieces of RFC 5322 header values that both the address
// list parser and the Content-* field parser need: CFWS (blanks and nested,
// escaped comments, which carry nothing for us) and quoted strings.
// Tolerant like the parsers using them: an unclosed comment or string runs
// to the end of the value.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ringpost::mail::rfc5322 {

// The index of the first byte at or after `i` that is not CFWS.
size_t skip_cfws(std::string_view s, size_t i);

// The same, and `last_comment` becomes the content of the last closed
// comment skipped (escapes resolved, nested parentheses kept), when there
// was one; an address without a display name takes it as its name.
size_t skip_cfws(std::string_view s, size_t i, std::string& last_comment);

// At s[i] == '"': the content with backslash escapes resolved; `i` moves
// past the closing quote.
std::string quoted_string(std::string_view s, size_t& i);

}  // namespace ringpost::mail::rfc5322
