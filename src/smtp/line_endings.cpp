// Bare LF to CRLF for BDAT content (see line_endings.hpp).
#include "smtp/line_endings.hpp"

#include <cstring>

namespace ringpost::smtp {

size_t crlf_bare_lf(std::string& data, size_t from) {
    size_t bare = 0;
    for (size_t i = from; i < data.size(); ++i)
        if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r')) ++bare;
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
