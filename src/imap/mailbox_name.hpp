// Mailbox names on the wire: modified UTF-7 (RFC 3501 5.1.3) to and from
// the UTF-8 names ringpost stores, and INBOX's case-insensitivity.
//
// Modified UTF-7: printable US-ASCII stands for itself except "&", which is
// "&-"; everything else is UTF-16 in a variant of base64 ("," for "/", no
// padding) between "&" and "-". "&ZeVnLIqe-" is "日本語".
// Decoding is strict: there is exactly one encoding of each name (printable
// ASCII must not be encoded, shifted runs must not be split, unused bits must
// be zero), so two spellings can never name the same mailbox twice.
#pragma once

#include <string>
#include <string_view>

#include "util/result.hpp"

namespace ringpost::imap {

// Modified UTF-7 to UTF-8. Errors name what is wrong with the encoding.
Result<std::string> decode_mutf7(std::string_view name);

// UTF-8 to modified UTF-7. Invalid UTF-8 sequences become U+FFFD.
std::string encode_mutf7(std::string_view utf8);

// Well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool is_valid_utf8(std::string_view s);

// "INBOX" in any case (RFC 3501 5.1: INBOX is case-insensitive; only the
// name itself, not "INBOX/child").
bool is_inbox(std::string_view name);

// Spell INBOX in upper case; other names are left as they are.
void normalize_inbox(std::string& name);

}  // namespace ringpost::imap
