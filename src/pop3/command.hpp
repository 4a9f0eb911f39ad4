// POP3 command lines (RFC 1939 3, RFC 2449 3): a case-insensitive keyword
// and its arguments, split without copying. Also spots lines that are not
// POP3 at all (an HTTP request or header sent to the port, the signature of
// a cross-protocol attack) so the session can hang up without answering.
#pragma once

#include <cstdint>
#include <string_view>

namespace ringpost::pop3 {

enum class Verb : uint8_t {
    kUnknown,     // not a keyword we know
    kEmpty,       // blank line
    kForbidden,   // HTTP request or header line: hang up
    kUser,
    kPass,
    kApop,
    kAuth,
    kCapa,
    kStls,
    kQuit,
    kStat,
    kList,
    kRetr,
    kDele,
    kNoop,
    kRset,
    kTop,
    kUidl,
};

struct Command {
    Verb verb = Verb::kUnknown;
    std::string_view name;   // the keyword as sent
    std::string_view raw;    // everything after the first space, verbatim (PASS: the password)
    std::string_view arg;    // `raw` without leading and trailing blanks
};

// `line` excludes the CRLF / LF.
Command parse_command(std::string_view line);

// A decimal argument: digits only (no sign, no blanks), at most 19 of them.
bool parse_number(std::string_view s, uint64_t& out);

// Splits `arg` at its first run of blanks: "a b" -> "a", "b". `rest` is
// empty when there is a single word.
void split_first(std::string_view arg, std::string_view& first, std::string_view& rest);

// ASCII case-insensitive equality for keywords.
bool iequals(std::string_view a, std::string_view b);

}  // namespace ringpost::pop3
