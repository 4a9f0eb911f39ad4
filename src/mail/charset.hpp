// Text in a MIME charset (RFC 2045 Content-Type charset, RFC 2047 encoded
// words) converted to UTF-8, for SEARCH. Never fails: bytes that are invalid
// in their charset become U+FFFD, and a charset that is unknown (or a name
// that is not a plain charset name) is read as UTF-8, which keeps ASCII
// and real UTF-8 searchable -- what mail labelled "unknown-8bit" usually is.
#pragma once

#include <string>
#include <string_view>

namespace ringpost::mail {

// US-ASCII, UTF-8 and ISO-8859-1 are converted here; every other charset
// through glibc's iconv (ISO-8859-x, Windows-125x, KOI8-R, the CJK
// encodings, UTF-16, ...).
std::string charset_to_utf8(std::string_view bytes, std::string_view charset);

}  // namespace ringpost::mail
