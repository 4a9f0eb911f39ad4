// Reading an RFC 5322 header section (also a MIME part's header): where it
// ends, its fields one at a time with their continuation lines, and a
// field's value unfolded. Lines may end in CRLF or a bare LF.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ringpost::mail {

// RFC 5322 2.1.1: a line MUST be no more than 998 characters and SHOULD be
// no more than 78; header fields this code writes are folded at the latter.
constexpr size_t kMaxLineLength = 998;
constexpr size_t kFoldAt = 78;

// Bytes of the header section at the start of `data`, including the empty
// line that ends it; all of `data` when no empty line follows the fields
// (a message without a body).
size_t header_section_size(std::string_view data);

struct HeaderField {
    // Before the colon, trailing whitespace removed (RFC 5322 obs-optional
    // allows "Subject :"). A line without a colon is all name, so that it
    // never matches a real field name.
    std::string_view name;
    std::string_view value;   // after the colon, still folded, line ends included
    std::string_view raw;     // the whole field, up to and including its last line end
};

// The fields of a header section in order; stops at the empty line.
class HeaderReader {
public:
    explicit HeaderReader(std::string_view section) : rest_(section) {}
    bool next(HeaderField& field);
    // After next() returned false: whether the fields ended at the empty
    // line that ends a header section (false when the data simply ran out,
    // as in a message with no body and no empty line).
    bool at_empty_line() const;

private:
    std::string_view rest_;
};

// RFC 5322 2.2.3 unfolding, and what an IMAP string cannot carry: every CR,
// LF and NUL is removed, then leading and trailing blanks are trimmed.
std::string unfold(std::string_view value);

std::string to_upper(std::string_view s);

}  // namespace ringpost::mail
