// Content-Transfer-Encoding decoding (RFC 2045 6.7, 6.8) and RFC 2047's Q
// encoding, tolerant as readers of real mail must be: malformed input
// decodes to what can be read and never fails. Base64 is util/base64.hpp's
// lenient decoder.
#pragma once

#include <string>
#include <string_view>

namespace ringpost::mail {

// Quoted-printable: "=XX" (either case of hex digits) is a byte, "=" at the
// end of a line (trailing blanks allowed) is a soft line break and goes
// with its line end; any other "=" is kept as it is.
std::string decode_quoted_printable(std::string_view in);

// RFC 2047 4.2 "Q": "_" is a space, "=XX" a byte.
std::string decode_q_word(std::string_view in);

// The body of a part in `encoding` (lower-case Content-Transfer-Encoding):
// quoted-printable and base64 decoded, anything else (7bit, 8bit, binary,
// an unknown token) as it is.
std::string decode_transfer_encoding(std::string_view body, std::string_view encoding);

}  // namespace ringpost::mail
