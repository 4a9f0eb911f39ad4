// Case folding for IMAP SEARCH (RFC 3501 6.4.4: matching is
// case-insensitive): Unicode simple case folding (CaseFolding.txt, statuses
// C and S, no Turkic T), one code point to one code point, so "Ü" matches
// "ü", "Σ" and "ς" match "σ", "ſ" matches "s". Full folding (ß = "ss") and
// normalization (a precomposed "ü" against "u" + U+0308) are not done.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringpost::mail {

uint32_t fold_code_point(uint32_t cp);

// `text` (UTF-8) folded, code point by code point. Invalid UTF-8 sequences become
// U+FFFD, so the result is always valid UTF-8.
std::string fold_case(std::string_view text);

}  // namespace ringpost::mail
