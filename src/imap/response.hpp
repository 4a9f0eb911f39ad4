// Writing IMAP response data (RFC 3501 7, 9): strings (quoted when that is
// safe, a literal otherwise), astrings, nstrings, mailbox names, flag lists,
// FETCH data item names, and free text. Everything appends to the caller's
// output buffer. NUL may appear in neither quoted strings nor literals: in
// strings it is dropped (as src/mail's ENVELOPE strings do), in a
// message's bytes it becomes 0x80 (append_message_literal). Dates are in
// date_time.hpp.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "imap/command.hpp"

namespace ringpost::imap {

// 1*ATOM-CHAR.
bool is_atom(std::string_view s);
// 1*ASTRING-CHAR: may be sent as an astring without quotes.
bool is_astring_atom(std::string_view s);
// flag: "\" atom or atom ("\*" is only valid in PERMANENTFLAGS).
bool is_flag(std::string_view s);
// May be sent as a quoted string: no CR or LF, and no 8-bit bytes unless
// UTF-8 is allowed (UTF8=ACCEPT enabled) and the string is valid UTF-8.
bool is_quotable(std::string_view s, bool utf8 = false);

// "s" with '"' and '\' escaped. The caller checked is_quotable().
void append_quoted(std::string& out, std::string_view s);
// {n}CRLF followed by the bytes (NUL dropped, see above).
void append_literal(std::string& out, std::string_view s);
// Bytes of a stored message (FETCH BODY[...], RFC822*, partials) as a
// literal. NUL, which no literal may carry (RFC 3501 4.3), is sent as 0x80
// as Dovecot does, so the literal has exactly the stored size and
// RFC822.SIZE, BODYSTRUCTURE sizes and partial offsets, which all count
// stored bytes, agree with what the client receives.
void append_message_literal(std::string& out, std::string_view bytes);
// The same bytes without the {n} prefix: a chunk of a streamed literal.
void append_message_bytes(std::string& out, std::string_view bytes);
// string: quoted if quotable, else a literal.
void append_string(std::string& out, std::string_view s, bool utf8 = false);
// astring: a bare atom where possible; "NIL" is quoted so no client takes it for nil.
void append_astring(std::string& out, std::string_view s, bool utf8 = false);
// nstring: NIL for nullopt.
void append_nstring(std::string& out, std::optional<std::string_view> s, bool utf8 = false);
// A mailbox name (UTF-8 as stored): modified UTF-7 unless utf8, then astring.
void append_mailbox(std::string& out, std::string_view name, bool utf8 = false);
// "(\Seen $Forwarded)"; entries that are not valid flags are left out.
void append_flag_list(std::string& out, std::span<const std::string> flags);
void append_flag_list(std::string& out, std::span<const std::string_view> flags);

// "1.2.HEADER.FIELDS (From To)" - the inside of BODY[...].
void append_section(std::string& out, const Section& section);
// The name a FETCH response gives the item: "FLAGS", "RFC822.SIZE",
// "BODY[HEADER.FIELDS (From)]", "BODY[]<0>" (.PEEK is not echoed; a partial
// fetch is echoed with its origin only, RFC 3501 7.4.2).
void append_fetch_item_name(std::string& out, const FetchItem& item);

// Free text for a response line (resp-text): control bytes become '?', so
// nothing echoed from a client can break the line.
void append_text(std::string& out, std::string_view text);

}  // namespace ringpost::imap
