#include "mail/rfc5322_lex.hpp"

namespace ringpost::mail::rfc5322 {

namespace {

// Both skip_cfws: `comment` collects each comment's content when not null.
size_t skip(std::string_view s, size_t i, std::string* last_comment) {
    std::string content;
    while (i < s.size()) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            ++i;
        } else if (c == '(') {
            int depth = 0;
            content.clear();
            while (i < s.size()) {
                char d = s[i++];
                if (d == '\\') {
                    if (i < s.size()) content += s[i++];
                    continue;
                }
                if (d == '(') {
                    if (depth++ == 0) continue;
                } else if (d == ')' && --depth == 0) {
                    if (last_comment) *last_comment = content;
                    break;
                }
                content += d;
            }
        } else {
            break;
        }
    }
    return i;
}

}  // namespace

size_t skip_cfws(std::string_view s, size_t i) { return skip(s, i, nullptr); }

size_t skip_cfws(std::string_view s, size_t i, std::string& last_comment) { return skip(s, i, &last_comment); }

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
