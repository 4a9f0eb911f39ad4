// Parsing of the MAIL FROM / RCPT TO arguments: the path (RFC 5321 4.1.2,
// with RFC 6531 UTF-8 extensions) and the ESMTP parameters of the
// extensions we offer: SIZE (RFC 1870), BODY (RFC 6152, RFC 3030),
// SMTPUTF8 (RFC 6531), RET/ENVID/NOTIFY/ORCPT (DSN, RFC 3461).
// Results are string_views into the command line: the session copies only
// what it keeps, so a rejected command costs no allocation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mail/envelope.hpp"
#include "smtp/reply.hpp"

namespace ringpost::smtp {

// What the session offered this client (EHLO reply); parameters of an
// extension that was not offered are refused with 555 5.5.4.
struct Extensions {
    bool esmtp = false;      // EHLO was used (HELO: no parameters at all)
    bool chunking = false;   // CHUNKING and BINARYMIME
    bool smtputf8 = false;
    bool dsn = false;
};

struct MailFrom {
    std::string_view address;   // reverse-path without brackets/source route; empty = "<>"
    bool size_given = false;
    uint64_t size = 0;          // UINT64_MAX when the number does not fit
    mail::BodyType body = mail::BodyType::k7Bit;
    bool smtputf8 = false;
    mail::DsnRet ret = mail::DsnRet::kUnset;
    std::string_view envid;     // xtext as sent (validated); decode with decode_xtext
};

struct RcptTo {
    std::string_view address;   // forward-path without brackets/source route
    uint8_t notify = 0;         // mail::NotifyFlags
    std::string_view orcpt;     // "addr-type;xtext" as sent (validated); decode with decode_orcpt
};

// `arg` is what follows the verb ("FROM:<a@b> SIZE=10"). Returns a reply
// with code 0 on success, otherwise the error reply to send.
Reply parse_mail_from(std::string_view arg, const Extensions& ext, MailFrom& out);

// `smtputf8`: whether this transaction's MAIL FROM carried SMTPUTF8.
Reply parse_rcpt_to(std::string_view arg, const Extensions& ext, bool smtputf8, RcptTo& out);

// RFC 3461 4 xtext: "+XX" hex escapes. Appends the decoded bytes to `out`.
// False on malformed xtext (a '+' without two hex digits, '=', a control).
bool decode_xtext(std::string_view xtext, std::string& out);

// ORCPT "addr-type;xtext" -> "addr-type;decoded" appended to `out`.
bool decode_orcpt(std::string_view orcpt, std::string& out);

// Strict UTF-8 well-formedness (no overlongs, surrogates or > U+10FFFF).
bool valid_utf8(std::string_view s);

}  // namespace ringpost::smtp
