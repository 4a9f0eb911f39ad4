// POP3 command line splitting (see command.hpp).
#include "pop3/command.hpp"

namespace ringpost::pop3 {
namespace {

bool blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && blank(s.back())) s.remove_suffix(1);
    return s;
}

struct Keyword {
    std::string_view name;
    Verb verb;
};

constexpr Keyword kKeywords[] = {
    {"USER", Verb::kUser}, {"PASS", Verb::kPass}, {"APOP", Verb::kApop}, {"AUTH", Verb::kAuth},
    {"CAPA", Verb::kCapa}, {"STLS", Verb::kStls}, {"QUIT", Verb::kQuit}, {"STAT", Verb::kStat},
    {"LIST", Verb::kList}, {"RETR", Verb::kRetr}, {"DELE", Verb::kDele}, {"NOOP", Verb::kNoop},
    {"RSET", Verb::kRset}, {"TOP", Verb::kTop},   {"UIDL", Verb::kUidl},
};

// HTTP methods (a browser or proxy pointed at the port).
constexpr std::string_view kHttp[] = {"GET", "POST", "PUT", "HEAD", "CONNECT", "OPTIONS", "DELETE"};

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'a' && x <= 'z') x = char(x - 32);
        if (y >= 'a' && y <= 'z') y = char(y - 32);
        if (x != y) return false;
    }
    return true;
}

Command parse_command(std::string_view line) {
    Command c;
    if (trim(line).empty()) {
        c.verb = Verb::kEmpty;
        return c;
    }
    size_t sp = line.find_first_of(" \t");
    c.name = line.substr(0, sp);
    if (sp != std::string_view::npos) c.raw = line.substr(sp + 1);
    c.arg = trim(c.raw);
    for (const Keyword& k : kKeywords) {
        if (iequals(c.name, k.name)) {
            c.verb = k.verb;
            return c;
        }
    }
    // "Host:", "User-Agent:" ... or "GET / HTTP/1.1".
    if (!c.name.empty() && c.name.back() == ':') c.verb = Verb::kForbidden;
    for (std::string_view m : kHttp)
        if (c.name == m && c.arg.find("HTTP/") != std::string_view::npos) c.verb = Verb::kForbidden;
    return c;
}

bool parse_number(std::string_view s, uint64_t& out) {
    if (s.empty() || s.size() > 19) return false;
    uint64_t v = 0;
    for (char ch : s) {
        if (ch < '0' || ch > '9') return false;
        v = v * 10 + uint64_t(ch - '0');
    }
    out = v;
    return true;
}

void split_first(std::string_view arg, std::string_view& first, std::string_view& rest) {
    size_t i = 0;
    while (i < arg.size() && !blank(arg[i])) ++i;
    first = arg.substr(0, i);
    rest = trim(arg.substr(i));
}

}  // namespace ringpost::pop3
