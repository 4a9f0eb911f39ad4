// IMAP strings (RFC 3501 4.3 and 9): a quoted string when every byte may
// appear in one (7-bit, no CR or LF; '"' and '\' escaped), otherwise a
// literal "{n}\r\n" followed by the bytes, which carries 8-bit header text
// (UTF-8, raw Latin-1) through unchanged. NUL may appear in neither and is
// dropped.
#pragma once

#include <string>
#include <string_view>

namespace ringpost::mail {

void append_imap_string(std::string& out, std::string_view s);

// NIL for an empty value, else a string: the convention of MimePart, whose
// empty fields mean "absent".
void append_imap_nstring(std::string& out, std::string_view s);

}  // namespace ringpost::mail
