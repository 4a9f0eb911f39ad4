// Text in a MIME charset (RFC 2045 Content-Type charset, RFC 2047 encoded
// words) converted to UTF-8, for SEARCH. Never fails: bytes that are invalid
// in their charset become U+FFFD, and a charset that is unknown (or a name
// that is not a plain charset name) is read as UTF-8, which keeps ASCII
// and real UTF-8 searchable -- what mail labelled "unknown-8bit" usually is.
#pragma once

#include <string>
#include <string_view>

namespace ringpost::mail {

// US-ASCII and UTF-8 are sanitized, ISO-8859-1 is read as its superset
// Windows-1252 (as browsers do); every other charset goes through glibc's
// iconv (ISO-8859-x, Windows-125x, KOI8-R, the CJK encodings, UTF-16, ...),
// with a few common MIME labels it lacks mapped to its names
// (ks_c_5601-1987 is CP949, x-sjis is SHIFT_JIS, ...).
std::string charset_to_utf8(std::string_view bytes, std::string_view charset);

}  // namespace ringpost::mail
