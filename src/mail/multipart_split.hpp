// Finding the body parts of a multipart body (RFC 2046 5.1.1).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace ringpost::mail {

struct ByteRange {
    size_t begin = 0;
    size_t end = 0;
};

// The body parts of the multipart body data[begin, end) delimited by
// `boundary`, at most `max_parts` of them.
//
// A delimiter line is "--boundary" at the start of a line, followed by
// nothing but blanks ("--boundary--" for the close delimiter); a longer line
// that merely starts with it is body text. The line end before a delimiter
// belongs to the delimiter, not to the part. The preamble before the first
// delimiter and the epilogue after the close delimiter are no part; without
// a close delimiter the last part runs to `end`.
std::vector<ByteRange> split_multipart(std::string_view data, size_t begin, size_t end,
                                       std::string_view boundary, size_t max_parts);

}  // namespace ringpost::mail
