// RFC 2047 encoded words ("=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=") in header text,
// decoded to UTF-8 for SEARCH.
//
// Tolerant as Dovecot and mail clients are: a word is decoded wherever it
// appears (also inside a quoted string or next to other text), its charset
// may carry an RFC 2231 language ("UTF-8*de"), and the B text may lack its
// padding. Whitespace between two adjacent encoded words is dropped (RFC
// 2047 6.2), and adjacent words in the same charset are converted together,
// so a character split across two words survives. Text outside encoded
// words is taken as UTF-8 (RFC 6532), invalid bytes becoming U+FFFD.
#pragma once

#include <string>
#include <string_view>

namespace ringpost::mail {

// `text` (an unfolded header value, or a part of one) with its encoded
// words decoded; the result is valid UTF-8.
std::string decode_encoded_words(std::string_view text);

}  // namespace ringpost::mail
