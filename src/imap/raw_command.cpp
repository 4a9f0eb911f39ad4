// Literal markers (see raw_command.hpp).
#include "imap/raw_command.hpp"

#include "imap/chars.hpp"

namespace ringpost::imap {

std::optional<LiteralMarker> find_literal_marker(std::string_view line) {
    if (line.size() < 3 || line.back() != '}') return std::nullopt;
    size_t end = line.size() - 1;   // the '}'
    LiteralMarker m;
    if (line[end - 1] == '+') {
        m.synchronizing = false;
        --end;
    }
    size_t digits_end = end;
    while (end > 0 && is_digit(line[end - 1])) --end;
    if (end == digits_end || end == 0 || line[end - 1] != '{') return std::nullopt;
    for (size_t i = end; i < digits_end; ++i) {
        uint64_t digit = static_cast<uint64_t>(line[i] - '0');
        if (m.size > (UINT64_MAX - digit) / 10) {
            m.too_big = true;
            m.size = 0;
            break;
        }
        m.size = m.size * 10 + digit;
    }
    m.begin = end - 1;
    if (m.begin > 0 && line[m.begin - 1] == '~') {
        m.binary = true;
        --m.begin;
    }
    return m;
}

}  // namespace ringpost::imap
