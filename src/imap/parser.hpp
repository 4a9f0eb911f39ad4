// The IMAP command parser: a RawCommand from the CommandReader in, a typed
// Command (command.hpp) or the text of a BAD reply out. Nothing here throws
// on bad input or recurses without a bound (SEARCH and parameter nesting are
// limited), so any input is safe to parse.
//
// The grammar is RFC 3501's with RFC 9051 where the two agree, tolerant
// where real clients are sloppy (runs of spaces, trailing spaces, 8-bit
// bytes in quoted strings) and strict where leniency would change meaning.
#pragma once

#include <string>
#include <string_view>

#include "imap/command.hpp"
#include "imap/raw_command.hpp"

namespace ringpost::imap {

// RFC 2971 3.3: at most 30 field-value pairs, field names up to 30 octets,
// values up to 1024. kMaxIdLine is the longest line such an ID command can
// take -- every string quoted with each byte escaped, a long tag -- so that
// the reader's limits before login never cut one short.
inline constexpr size_t kMaxIdFields = 30;
inline constexpr size_t kMaxIdLine = 256 + kMaxIdFields * ((2 + 2 * 30) + 1 + (2 + 2 * 1024) + 1);

struct ParseOptions {
    // UTF8=ACCEPT is enabled (RFC 6855 / RFC 9051): mailbox names are
    // UTF-8 as sent rather than modified UTF-7.
    bool utf8 = false;
};

struct ParseResult {
    Command command;     // command.tag is always set: the client's tag, or "*" when none could be read
    std::string error;   // empty on success; otherwise the text for "<tag> BAD <error>"
    bool ok() const { return error.empty(); }
};

ParseResult parse_command(const RawCommand& raw, const ParseOptions& options = {});

// A command without literals (a single line, line end removed).
ParseResult parse_command(std::string_view line, const ParseOptions& options = {});

}  // namespace ringpost::imap
