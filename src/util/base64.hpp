// Base64 (RFC 4648 section 4, the standard alphabet with padding), for SASL
// exchanges (POP3 AUTH, later IMAP AUTHENTICATE and SMTP AUTH). Decoding is
// strict, as RFC 4422 asks of SASL: no whitespace, no line breaks, padding
// required, nothing after it, and the unused bits of the last group zero.
#pragma once

#include <string>
#include <string_view>

namespace ringpost::base64 {

// Appends the encoding of `in` to `out`.
void encode(std::string_view in, std::string& out);

// Appends the decoded bytes to `out`; false (and `out` unspecified) when
// `in` is not canonical base64. The empty string decodes to nothing.
bool decode(std::string_view in, std::string& out);

}  // namespace ringpost::base64
