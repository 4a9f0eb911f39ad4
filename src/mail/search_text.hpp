// The text IMAP SEARCH compares a string with (RFC 3501 6.4.4), as the
// reference servers (Dovecot, Cyrus, Stalwart) prepare it: header values
// unfolded with their RFC 2047 encoded words decoded, bodies with their
// Content-Transfer-Encoding undone and converted from their charset to
// UTF-8, and all of it case-folded (case_fold.hpp), as is the client's
// string (search_key_text), so that a byte-wise substring test is the
// case-insensitive match. Pure functions over a message and its stored MIME
// summary; the matching itself is SubstringMatcher.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mail/mime.hpp"

namespace ringpost::mail {

// BODY and TEXT look at the first 16 MiB of a message's decoded body text
// (in MIME order); with raw_bytes_for below, this bounds the memory a huge
// message costs SEARCH.
inline constexpr size_t kMaxBodySearchText = 16 * 1024 * 1024;

// The client's search string (UTF-8 or US-ASCII) folded the same way.
std::string search_key_text(std::string_view key);

// Whether the header section has a field called `name` (any case).
bool has_header_field(std::string_view header_section, std::string_view name);

// The values of every field called `name`: unfolded, encoded words decoded,
// folded; one line each.
std::string field_search_text(std::string_view header_section, std::string_view name);

// For an address field (From, To, Cc, Bcc): each address as ENVELOPE reads
// it -- display name decoded, then "<local@domain>" with comments and
// blanks gone -- a group by its decoded name, and the decoded text of
// comments (an address's only name in "user@example.org (Real Name)");
// folded.
std::string address_search_text(std::string_view header_section, std::string_view name);

// Every field of a header section as "name: decoded value", one a line,
// folded.
std::string header_search_text(std::string_view header_section);

// The body text of `message`, whose part tree is `root`: every text/* part
// decoded (transfer encoding, then charset) and the decoded header of each
// encapsulated message, one after the other, folded, at most `cap` bytes.
// Other parts (images, attachments in base64, ...) are not text and are
// skipped.
std::string body_search_text(std::string_view message, const MimePart& root, size_t cap = kMaxBodySearchText);

// The same in pieces, for a message too big to read whole: the byte ranges
// body_search_text reads, in order; the raw bytes each needs while `budget`
// bytes of text are left under the cap; and the text of one piece, given
// (at least) those bytes, appended to `out` up to `cap`.
struct BodyTextSource {
    uint32_t offset = 0;
    uint32_t size = 0;
    bool header = false;          // the header of an encapsulated message
    std::string_view encoding;    // a text part's transfer encoding and charset
    std::string_view charset;     // (views into the part tree)
};
std::vector<BodyTextSource> body_text_sources(const MimePart& root);
uint64_t raw_bytes_for(const BodyTextSource& source, size_t budget);
void append_body_text(std::string& out, const BodyTextSource& source, std::string_view raw,
                      size_t cap = kMaxBodySearchText);

}  // namespace ringpost::mail
