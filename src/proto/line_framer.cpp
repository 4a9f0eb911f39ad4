#include "proto/line_framer.hpp"

#include <cstring>

namespace ringpost::proto {

LineFramer::Frame LineFramer::peek(std::string_view input, size_t pos, size_t max_line) const {
    const size_t n = input.size();
    Frame f;
    const void* found = pos < n ? std::memchr(input.data() + pos, '\n', n - pos) : nullptr;
    if (found == nullptr) {
        // Inside an overlong line, or one that cannot fit any more: its
        // bytes are dropped now, so buffering stays bounded.
        f.skip = skipping_ || n - pos >= max_line;
        f.end = f.skip ? n : pos;
        return f;
    }
    const size_t nl = size_t(static_cast<const char*>(found) - input.data());
    f.end = nl + 1;
    if (skipping_ || nl - pos + 1 > max_line) {
        f.kind = Kind::kOverlong;
        return f;
    }
    f.kind = Kind::kLine;
    f.line = input.substr(pos, nl - pos);
    if (!f.line.empty() && f.line.back() == '\r') f.line.remove_suffix(1);
    return f;
}

}  // namespace ringpost::proto
