// The IMAP FETCH items computed from a parsed message (RFC 3501 7.4.2,
// RFC 9051 7.5.2): ENVELOPE and BODY / BODYSTRUCTURE.
//
// Case convention (the one Cyrus and the RFC 3501 examples use): the
// case-insensitive MIME tokens -- type, subtype, transfer encoding,
// parameter names, disposition type -- are sent upper-case ("TEXT" "PLAIN"
// ("CHARSET" "us-ascii") ... "7BIT"); everything else (parameter values,
// ids, descriptions, languages, addresses) is sent as written. All of them
// as strings, quoted when possible, literals when 8-bit. Dovecot instead
// echoes the case of the message; clients compare case-insensitively.
#pragma once

#include <string>
#include <string_view>

#include "mail/mime.hpp"

namespace ringpost::mail {

// The parenthesised ENVELOPE of a message from its header section.
// The first occurrence of a field counts; Sender and Reply-To default to
// From when absent or empty (RFC 3501 7.4.2); an absent field is NIL.
std::string render_envelope(std::string_view header_section);

// The parenthesised BODYSTRUCTURE (extended = true: with extension data)
// or BODY of a part tree.
std::string render_body(const MimePart& root, bool extended);

}  // namespace ringpost::mail
