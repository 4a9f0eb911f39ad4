// 8-bit to 7-bit conversion of a message for a server that does not offer
// 8BITMIME (RFC 6152 3: the message must be converted or bounced). Shaped
// like Postfix's mime_state downgrade: the MIME tree is walked once, every
// leaf part whose body holds 8-bit bytes is re-encoded as quoted-printable
// (RFC 2045 6.7) and labelled so, multipart/* and message/rfc822 are
// opened and their 8bit/binary label becomes 7bit, and everything else --
// other header fields, boundaries, parts without 8-bit bytes -- is copied
// byte for byte, so the result is the same MIME structure, decoding to the
// same part bodies.
//
// Beyond Postfix (which converts only parts labelled 8bit and leaves a
// non-MIME message alone): a part labelled 7bit or unlabelled that holds
// 8-bit bytes is converted too; a converted part without a Content-Type
// gets "text/plain; charset=unknown-8bit" (RFC 1428: its bytes are not the
// us-ascii that the default claims), and a converted message without
// MIME-Version gets "MIME-Version: 1.0", so that the new
// Content-Transfer-Encoding means something to the reader (RFC 2045 4).
//
// What cannot be converted is refused, for a 5.6.3 bounce: 8-bit bytes in a
// header (unless the server takes UTF-8 headers, RFC 6532), in a part
// labelled base64, quoted-printable or an unknown encoding, in a
// message/partial or message/external-body, in a multipart whose boundary
// does not split it, or beyond the parser's depth and part limits.
#pragma once

#include <string>
#include <string_view>

namespace ringpost::mail {

struct EightBitDowngrade {
    enum class Status : unsigned char {
        kUnchanged,   // no 8-bit byte in the message: send it as it is
        kConverted,   // `message` holds the 7-bit message
        kRefused,     // `reason` says why it cannot be converted (5.6.3)
    };
    Status status = Status::kUnchanged;
    std::string message;
    std::string reason;
};

// Converts `message` (a stored message: CRLF line ends; a bare CR or LF is
// data and stays data). `utf8_headers` allows 8-bit bytes in header fields
// (the server offers SMTPUTF8); they are then left as they are.
EightBitDowngrade downgrade_8bit(std::string_view message, bool utf8_headers);

// Appends `body` quoted-printable encoded (RFC 2045 6.7): CRLF is a hard
// line break, every other byte outside printable ASCII, '=', and a blank
// before a line break or the end are escaped, soft line breaks keep every
// line within 76 characters, and no line starts with "--" (so none looks
// like a boundary). Decoding gives back `body` exactly.
void encode_quoted_printable(std::string_view body, std::string& out);

// Whether `data` holds a byte with the high bit set.
bool has_8bit(std::string_view data);

}  // namespace ringpost::mail
