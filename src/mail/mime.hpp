// MIME structure of a stored message (RFC 2045/2046/2047/2231, RFC 5322),
// computed once when a message enters a mailbox and stored with it, so that
// IMAP's ENVELOPE, BODYSTRUCTURE and BODY[section] fetches never re-parse
// the message (RFC 3501 7.4.2).
//
// The parser is tolerant, like the clients that read real mail: missing or
// malformed boundaries end a part at the end of its parent, a missing
// Content-Type is text/plain (message/rfc822 inside multipart/digest), a
// multipart whose boundary is missing or never occurs is read as text/plain,
// encoded words are passed through untouched; nesting depth and part counts
// are bounded, so hostile input costs bounded time and memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.hpp"

namespace ringpost::mail {

using MimeParams = std::vector<std::pair<std::string, std::string>>;   // attribute (lower-case), value

// The value of the parameter `name` (lower-case), or "" when absent.
inline std::string_view param(const MimeParams& params, std::string_view name) {
    for (const auto& [n, v] : params)
        if (n == name) return v;
    return {};
}

// Bounds on the parse. A multipart or message/rfc822 part deeper than
// kMaxMimeDepth (the root is depth 0), or met when kMaxMimeParts parts exist
// already, is not opened: it becomes an opaque application/octet-stream leaf.
inline constexpr uint32_t kMaxMimeDepth = 32;
inline constexpr uint32_t kMaxMimeParts = 10000;

struct MimePart {
    // Byte ranges in the message the part was parsed from, counted as
    // stored (a bare-LF message is not counted as if it had CRLF), so that
    // BODYSTRUCTURE sizes match what BODY[section] serves from these ranges.
    uint32_t header_offset = 0;
    uint32_t header_size = 0;    // the header block including its terminating empty line
    uint32_t body_offset = 0;
    uint32_t body_size = 0;
    uint32_t body_lines = 0;     // lines of the body (text/* and message/rfc822 report it):
                                 // its line ends, plus a last line without one
    std::string type = "text";   // lower-case
    std::string subtype = "plain";
    MimeParams params;           // Content-Type parameters (RFC 2231 continuations joined)
    std::string id;              // Content-ID, empty = NIL
    std::string description;     // Content-Description, empty = NIL
    std::string encoding = "7bit";   // Content-Transfer-Encoding, lower-case
    std::string md5;             // Content-MD5
    std::string disposition;     // "attachment", "inline", empty = NIL
    MimeParams disposition_params;
    std::string language;        // Content-Language, empty = NIL
    std::string location;        // Content-Location, empty = NIL
    // multipart/*: the children. message/rfc822 (and message/global): one
    // child, the root part of the encapsulated message.
    std::vector<MimePart> parts;
    // message/rfc822 and message/global: the IMAP ENVELOPE of the
    // encapsulated message (BODYSTRUCTURE sends it for message/rfc822 only;
    // see imap_bodystructure.cpp).
    std::string envelope;
};

struct MessageSummary {
    MimePart root;
    std::string envelope;        // IMAP ENVELOPE, e.g. ("date" "subject" ((...)) ...)
    std::string bodystructure;   // IMAP BODYSTRUCTURE (with extension data)
    std::string body;            // IMAP BODY (without extension data)
};

// Parses `message` (CRLF or LF line ends) and renders the IMAP strings
// (conventions in mail/imap_render.hpp). Never fails: any input gives a
// tree whose ranges lie inside `message`.
MessageSummary summarize_message(std::string_view message);

// Compact binary form for the store (versioned; decode rejects garbage).
std::string encode_summary(const MessageSummary& summary);
Result<MessageSummary> decode_summary(std::string_view data);

// The part at an IMAP section path ("1.2.3" -> {1, 2, 3}); nullptr if there
// is none. An empty path is the whole message. For a non-multipart message,
// part 1 is its body (RFC 3501 6.4.5).
const MimePart* find_part(const MimePart& root, const std::vector<uint32_t>& path);

// The header fields of `header_block` whose names are (exclude = false) or
// are not (exclude = true) in `names` (case-insensitive), in their original
// order and form, followed by the empty line: HEADER.FIELDS (NOT).
// HEADER.FIELDS.NOT (exclude) adds the empty line only where `header_block`
// has it: a message with no body and no empty line gets none (RFC 3501 6.4.5).
std::string header_fields(std::string_view header_block, const std::vector<std::string>& names, bool exclude);

}  // namespace ringpost::mail
