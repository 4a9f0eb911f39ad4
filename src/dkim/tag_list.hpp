// DKIM tag lists (RFC 6376 3.2): "name=value; name=value", the syntax of
// both the DKIM-Signature field and the key record in DNS. Pure parsing over
// the caller's bytes: each tag's name and value are views into the input,
// so the verifier can find b='s value in the raw field to blank it out.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace ringpost::dkim {

struct Tag {
    std::string_view name;    // case-sensitive (RFC 6376 3.2)
    std::string_view value;   // without the whitespace around it; folding inside kept
};

class TagList {
public:
    // Parses `text`. Errors (the whole list is invalid, RFC 6376 3.2): a tag
    // name that is not ALPHA *(ALPHA / DIGIT / "_"), a tag without "=", an
    // empty tag-spec between two ";", a character outside VALCHAR and
    // folding whitespace in a value, a tag that occurs twice.
    static Result<TagList> parse(std::string_view text);

    // The tag's value, or nullptr when it is absent.
    const std::string_view* find(std::string_view name) const;
    const std::vector<Tag>& tags() const { return tags_; }

private:
    std::vector<Tag> tags_;
};

// Folding whitespace inside a value: SP, HTAB, CR, LF.
constexpr bool is_fws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// The value with every folding whitespace character removed (base64 values: b=, bh=, p=).
std::string strip_fws(std::string_view value);

// A colon-separated list ("from : to:subject", h=, q=, s= and h= of a key
// record), each element without the whitespace around it. An empty
// element is kept as "" so that callers can reject it.
std::vector<std::string_view> split_colon_list(std::string_view value);

}  // namespace ringpost::dkim
