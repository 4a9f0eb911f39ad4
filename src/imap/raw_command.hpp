// An IMAP command as the reader hands it to the parser: the lines of the
// command (line ends removed) with the data of each literal in place right
// after the line that announced it, plus where the literals are. Also the
// one definition of a literal marker ("{n}", "{n+}", "~{n}") at the end of a
// line, shared by the reader (which must know how many bytes follow) and
// the parser (which must agree with it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace ringpost::imap {

// Literal data inside RawCommand::text.
struct LiteralSpan {
    size_t offset = 0;   // first data byte, just after the marker's "}"
    size_t size = 0;
};

// "A1 LOGIN {3}\r\nbob {6+}\r\nsecret\r\n" is held as the text
// "A1 LOGIN {3}bob {6+}secret" with literals {12, 3} and {20, 6}.
// Views into the reader's buffer: valid until the reader is fed again.
struct RawCommand {
    std::string_view text;
    std::span<const LiteralSpan> literals;
};

struct LiteralMarker {
    size_t begin = 0;            // offset of the marker ('{', or '~' for literal8) in the line
    uint64_t size = 0;
    bool synchronizing = true;   // "{n}": the client waits for our "+" continuation
    bool binary = false;         // literal8 "~{n}" (RFC 3516)
    bool too_big = false;        // the number does not fit 64 bits (size is then 0)
};

// The literal marker that ends `line` (line end already removed), if any:
// "{" 1*DIGIT ["+"] "}", optionally preceded by "~".
std::optional<LiteralMarker> find_literal_marker(std::string_view line);

}  // namespace ringpost::imap
