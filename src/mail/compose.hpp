// Assembles an RFC 5322 / MIME message from its parts, for the HTTP
// injection API's structured content (from, to, subject, text, html,
// headers, attachments), the way a mail library would:
//
//   text only            text/plain
//   text and html        multipart/alternative (text first: RFC 2046 5.1.4)
//   inline attachments   multipart/related around the html (RFC 2387)
//   other attachments    multipart/mixed around all of it
//
// Text parts are UTF-8; 7bit when they are ASCII with short lines, else
// quoted-printable (so the result is 7-bit clean and needs no 8BITMIME).
// Attachments are base64. Non-ASCII header text (subject, display names,
// extra unstructured headers) becomes RFC 2047 encoded words; addresses
// themselves are left as given (a UTF-8 address needs SMTPUTF8, RFC 6531).
// Date and Message-ID are left to the receiving session, which adds them
// when missing (RFC 6409 8.2, 8.3). Pure: no clock, no randomness.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "util/result.hpp"

namespace ringpost::mail {

struct NamedAddress {
    std::string name;      // display name, UTF-8, may be empty
    std::string address;   // local@domain
};

struct Attachment {
    std::string file_name;
    std::string content_type = "application/octet-stream";
    std::string data;         // the bytes
    std::string content_id;   // set = inline, referred to by cid: from the html
};

struct Composition {
    NamedAddress from;
    std::vector<NamedAddress> to;
    std::vector<NamedAddress> cc;
    std::vector<NamedAddress> reply_to;
    std::string subject;
    std::string text;   // either or both of text and html
    std::string html;
    // Extra header fields, in order (e.g. List-Unsubscribe). A field named
    // like one composed here (From, To, Subject, MIME-Version, Content-*)
    // is refused; Date and Message-ID given here are kept.
    std::vector<std::pair<std::string, std::string>> headers;
    std::vector<Attachment> attachments;
};

// The message with CRLF line ends, or an error naming the field at fault.
// `boundary_seed` makes the MIME boundaries (any value; distinct values
// give distinct boundaries).
Result<std::string> compose(const Composition& c, uint64_t boundary_seed);

// RFC 2047 B-encoded words for a UTF-8 `text` that is not printable
// ASCII; `text` itself when it is. Words hold whole characters and stay
// within 75 characters, separated by CRLF SP (a fold).
std::string encode_header_text(std::string_view text);

}  // namespace ringpost::mail
