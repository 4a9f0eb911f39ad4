// Bare LF to CRLF for BDAT content (see line_endings.hpp).
#include "smtp/line_endings.hpp"

#include <cstring>

namespace ringpost::smtp {

size_t crlf_bare_lf(std::string& data, size_t from) {
    // Counted LF by LF with memchr: most content has one every ~80 bytes,
    // so this reads a word at a time instead of a byte.
    size_t bare = 0;
    for (size_t i = from; i < data.size(); ++i) {
        const void* lf = std::memchr(data.data() + i, '\n', data.size() - i);
        if (!lf) break;
        i = static_cast<size_t>(static_cast<const char*>(lf) - data.data());
        if (i == 0 || data[i - 1] != '\r') ++bare;
    }
    if (bare == 0) return 0;
    const size_t old_size = data.size();
    data.resize(old_size + bare);
    // From the back: each byte moves right by the CRs still to insert before it.
    size_t shift = bare;
    for (size_t i = old_size; i-- > from && shift > 0;) {
        const char c = data[i];
        data[i + shift] = c;
        if (c == '\n' && (i == 0 || data[i - 1] != '\r')) data[i + --shift] = '\r';
    }
    return bare;
}

}  // namespace ringpost::smtp
