// SMTP command line parsing: split a line (line ending already removed) into
// a verb and its argument without copying. Also recognises lines that are
// not SMTP at all but HTTP requests or mail headers sent as commands - the
// signature of cross-protocol attacks and of broken pipelining clients - so
// the session can hang up at once, like Postfix's smtpd_forbidden_commands.
#pragma once

#include <cstdint>
#include <string_view>

namespace ringpost::smtp {

enum class Verb : uint8_t {
    kUnknown,     // not an SMTP verb we know
    kEmpty,       // blank line
    kForbidden,   // HTTP request or header line: hang up
    kEhlo,
    kHelo,
    kMail,
    kRcpt,
    kData,
    kBdat,
    kRset,
    kNoop,
    kQuit,
    kVrfy,
    kHelp,
    kStarttls,
    kAuth,
};

struct Command {
    Verb verb = Verb::kUnknown;
    std::string_view name;   // the verb as sent
    std::string_view arg;    // rest of the line, leading/trailing blanks removed
};

// The verb's upper-case name ("RCPT"); "" for kUnknown, kEmpty, kForbidden.
std::string_view verb_name(Verb verb);

// `line` excludes the CRLF / LF. Verbs are case-insensitive (RFC 5321 2.4).
Command parse_command(std::string_view line);

// "BDAT <chunk-size> [LAST]" arguments (RFC 3030 2). False on bad syntax or
// a size that does not fit 64 bits - then the chunk cannot be skipped.
bool parse_bdat_args(std::string_view arg, uint64_t& size, bool& last);

// ASCII case-insensitive equality for protocol keywords.
bool iequals(std::string_view a, std::string_view b);

}  // namespace ringpost::smtp
