// What a notification returns of the original message (RFC 3461 4.3, RFC
// 6522 part 3): the whole message, or only its header block. Decided here
// because the rules are several: RET=HDRS, a size cap, and originals that
// cannot be carried intact inside a MIME part (BINARYMIME bodies, NUL
// bytes, lines over 998 bytes) all fall back to the headers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "mail/envelope.hpp"

namespace ringpost::delivery {

struct ReturnedOriginal {
    bool full = false;        // true: the whole message; false: the header block only
    bool over_size = false;   // the full message was wanted but exceeds the cap
    std::string bytes;        // CRLF line endings, every line <= 998 bytes
};

// want_full: a failure report without RET=HDRS. The header block ends at the
// first empty line, or at the first line that is neither a header field nor
// a continuation; it is cut after the last whole field that keeps it within
// max_size (a field with a line over 998 bytes or a NUL ends it too).
ReturnedOriginal select_returned_original(std::string_view original, bool want_full, size_t max_size,
                                          mail::BodyType body_type);

}  // namespace ringpost::delivery
