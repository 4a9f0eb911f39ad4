// Base64 (RFC 4648 section 4, the standard alphabet with padding), for SASL
// exchanges (POP3 AUTH, IMAP AUTHENTICATE and SMTP AUTH) and for mail. SASL
// decoding is strict, as RFC 4422 asks: no whitespace, no line breaks,
// padding required, nothing after it, and the unused bits of the last group
// zero. Mail bodies and encoded words (RFC 2045 6.8, RFC 2047) are read
// leniently, as mail readers must.
#pragma once

#include <string>
#include <string_view>

namespace ringpost::base64 {

// Appends the encoding of `in` to `out`.
void encode(std::string_view in, std::string& out);

// Appends the decoded bytes to `out`; false (and `out` unspecified) when
// `in` is not canonical base64. The empty string decodes to nothing.
bool decode(std::string_view in, std::string& out);

// Never fails: characters outside the alphabet (line ends, blanks, garbage)
// are skipped, "=" ends the data, and a trailing partial group gives the
// bytes its bits complete.
std::string decode_lenient(std::string_view in);

}  // namespace ringpost::base64
