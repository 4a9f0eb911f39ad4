// IMAP string rendering; see imap_string.hpp.
#include "mail/imap_string.hpp"

namespace ringpost::mail {

namespace {

bool fits_quoted(std::string_view s) {
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u >= 0x80 || c == '\r' || c == '\n') return false;
    }
    return true;
}

}  // namespace

void append_imap_string(std::string& out, std::string_view s) {
    if (fits_quoted(s)) {
        out += '"';
        for (char c : s) {
            if (c == '\0') continue;
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
        return;
    }
    size_t size = 0;
    for (char c : s)
        if (c != '\0') ++size;
    out += '{';
    out += std::to_string(size);
    out += "}\r\n";
    for (char c : s)
        if (c != '\0') out += c;
}

void append_imap_nstring(std::string& out, std::string_view s) {
    if (s.empty())
        out += "NIL";
    else
        append_imap_string(out, s);
}

}  // namespace ringpost::mail
