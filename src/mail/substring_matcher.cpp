// Knuth-Morris-Pratt; see substring_matcher.hpp.
#include "mail/substring_matcher.hpp"

namespace ringpost::mail {

SubstringMatcher::SubstringMatcher(std::string needle) : needle_(std::move(needle)), border_(needle_.size(), 0) {
    uint32_t k = 0;
    for (size_t i = 1; i < needle_.size(); ++i) {
        while (k > 0 && needle_[i] != needle_[k]) k = border_[k - 1];
        if (needle_[i] == needle_[k]) ++k;
        border_[i] = k;
    }
}

bool SubstringMatcher::found_in(std::string_view text) const {
    if (needle_.empty()) return true;
    if (needle_.size() > text.size()) return false;
    size_t k = 0;   // needle bytes matched so far
    for (char c : text) {
        while (k > 0 && c != needle_[k]) k = border_[k - 1];
        if (c == needle_[k] && ++k == needle_.size()) return true;
    }
    return false;
}

}  // namespace ringpost::mail
