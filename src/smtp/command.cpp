// SMTP command line parsing (see command.hpp).
#include "smtp/command.hpp"

#include <cstring>

namespace ringpost::smtp {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Four letters packed into an integer, lower-cased by OR-ing 0x20. That
// fold is exact here: when the reference word is all letters, only the two
// cases of the same letter can OR into it, so "M@IL" never matches "mail".
constexpr uint32_t word4(const char* s) {
    return (uint32_t(uint8_t(s[0])) | uint32_t(uint8_t(s[1])) << 8 | uint32_t(uint8_t(s[2])) << 16 |
            uint32_t(uint8_t(s[3])) << 24) |
           0x20202020u;
}

Verb verb_of(std::string_view name) {
    switch (name.size()) {
    case 3:
        if (iequals(name, "GET")) return Verb::kForbidden;
        break;
    case 4:
        // Most commands are four letters: one integer compare each.
        switch (word4(name.data())) {
        case word4("ehlo"): return Verb::kEhlo;
        case word4("helo"): return Verb::kHelo;
        case word4("mail"): return Verb::kMail;
        case word4("rcpt"): return Verb::kRcpt;
        case word4("data"): return Verb::kData;
        case word4("bdat"): return Verb::kBdat;
        case word4("rset"): return Verb::kRset;
        case word4("noop"): return Verb::kNoop;
        case word4("quit"): return Verb::kQuit;
        case word4("vrfy"): return Verb::kVrfy;
        case word4("help"): return Verb::kHelp;
        case word4("auth"): return Verb::kAuth;
        case word4("post"): return Verb::kForbidden;
        default: break;
        }
        break;
    case 7:
        if (iequals(name, "CONNECT")) return Verb::kForbidden;
        break;
    case 8:
        if (iequals(name, "STARTTLS")) return Verb::kStarttls;
        break;
    default:
        break;
    }
    return Verb::kUnknown;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = char(x | 0x20);
        if (y >= 'A' && y <= 'Z') y = char(y | 0x20);
        if (x != y) return false;
    }
    return true;
}

Command parse_command(std::string_view line) {
    // Trailing blanks are noise some clients add; Postfix ignores them too.
    while (!line.empty() && is_blank(line.back())) line.remove_suffix(1);
    Command cmd;
    if (line.empty()) {
        cmd.verb = Verb::kEmpty;
        return cmd;
    }
    size_t i = 0;
    while (i < line.size() && !is_blank(line[i])) ++i;
    cmd.name = line.substr(0, i);
    while (i < line.size() && is_blank(line[i])) ++i;
    cmd.arg = line.substr(i);
    // No SMTP verb contains a colon; a first word that does is a mail header
    // ("Received: from ...", "Subject:...") arriving as a command, which means
    // the client is not speaking SMTP (or is trying to smuggle a message).
    if (std::memchr(cmd.name.data(), ':', cmd.name.size()) != nullptr) {
        cmd.verb = Verb::kForbidden;
        return cmd;
    }
    cmd.verb = verb_of(cmd.name);
    return cmd;
}

bool parse_bdat_args(std::string_view arg, uint64_t& size, bool& last) {
    size_t i = 0;
    uint64_t n = 0;
    while (i < arg.size() && arg[i] >= '0' && arg[i] <= '9') {
        uint64_t digit = uint64_t(arg[i] - '0');
        if (n > (UINT64_MAX - digit) / 10) return false;
        n = n * 10 + digit;
        ++i;
    }
    if (i == 0) return false;
    std::string_view rest = arg.substr(i);
    last = false;
    if (!rest.empty()) {
        if (!is_blank(rest.front())) return false;   // "12x"
        while (!rest.empty() && is_blank(rest.front())) rest.remove_prefix(1);
        if (!iequals(rest, "LAST")) return false;
        last = true;
    }
    size = n;
    return true;
}

std::string_view verb_name(Verb verb) {
    switch (verb) {
        case Verb::kEhlo: return "EHLO";
        case Verb::kHelo: return "HELO";
        case Verb::kMail: return "MAIL";
        case Verb::kRcpt: return "RCPT";
        case Verb::kData: return "DATA";
        case Verb::kBdat: return "BDAT";
        case Verb::kRset: return "RSET";
        case Verb::kNoop: return "NOOP";
        case Verb::kQuit: return "QUIT";
        case Verb::kVrfy: return "VRFY";
        case Verb::kHelp: return "HELP";
        case Verb::kStarttls: return "STARTTLS";
        case Verb::kAuth: return "AUTH";
        case Verb::kUnknown:
        case Verb::kEmpty:
        case Verb::kForbidden: break;
    }
    return "";
}

}  // namespace ringpost::smtp
