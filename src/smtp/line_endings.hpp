// Line endings of message content received with BDAT (RFC 3030).
//
// DATA's decoder stores a bare LF as CRLF (dot_decoder.hpp); BDAT chunks
// arrive as counted bytes and were stored as sent, so a 7BIT or 8BITMIME
// message could hold bare LFs that DATA would have normalised. Everything
// downstream counts and sends lines as CRLF (POP3's LIST size against what
// RETR sends, IMAP's sizes, the delivery client's dot-stuffer), so the two
// must store the same bytes. Postfix (smtpd_forbid_bare_newline =
// normalize) and KumoMTA (invalid_line_endings = "Fix") do the same. A CR
// without an LF stays data, as in DATA. BODY=BINARYMIME content is never
// touched.
#pragma once

#include <cstddef>
#include <string>

namespace ringpost::smtp {

// Turns every LF not preceded by CR in data[from..] into CRLF, in place
// (one pass to count, one from the back to widen). Returns how many.
size_t crlf_bare_lf(std::string& data, size_t from = 0);

}  // namespace ringpost::smtp
