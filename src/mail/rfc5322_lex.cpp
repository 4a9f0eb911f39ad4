#include "mail/rfc5322_lex.hpp"

namespace ringpost::mail::rfc5322 {

size_t skip_cfws(std::string_view s, size_t i) {
    while (i < s.size()) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            ++i;
        } else if (c == '(') {
            int depth = 0;
            while (i < s.size()) {
                char d = s[i++];
                if (d == '\\') {
                    if (i < s.size()) ++i;
                } else if (d == '(') {
                    ++depth;
                } else if (d == ')' && --depth == 0) {
                    break;
                }
            }
        } else {
            break;
        }
    }
    return i;
}

std::string quoted_string(std::string_view s, size_t& i) {
    std::string out;
    ++i;
    while (i < s.size()) {
        char c = s[i++];
        if (c == '"') break;
        if (c == '\\' && i < s.size()) c = s[i++];
        out += c;
    }
    return out;
}

}  // namespace ringpost::mail::rfc5322
