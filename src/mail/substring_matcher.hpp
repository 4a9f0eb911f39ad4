// Substring search in time linear in the text, whatever the needle: SEARCH
// runs a client's string (up to a literal's size) over every message, and a
// naive search (std::search, string_view::find) costs needle x text on text
// like "aaaa...". Knuth-Morris-Pratt: the needle is preprocessed once per
// command, each text is scanned once, never backing up.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringpost::mail {

class SubstringMatcher {
public:
    explicit SubstringMatcher(std::string needle);

    const std::string& needle() const { return needle_; }
    // Whether the needle occurs in `text`; the empty needle is everywhere.
    bool found_in(std::string_view text) const;

private:
    std::string needle_;
    std::vector<uint32_t> border_;   // border_[i]: longest proper border of needle_[0, i]
};

}  // namespace ringpost::mail
