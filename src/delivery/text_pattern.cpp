// TextPattern (see text_pattern.hpp).
#include "delivery/text_pattern.hpp"

namespace ringpost::delivery {

Result<std::shared_ptr<const TextPattern>> TextPattern::compile(const std::string& pattern) {
    std::shared_ptr<TextPattern> p(new TextPattern());
    const int rc = regcomp(&p->re_, pattern.c_str(), REG_EXTENDED | REG_ICASE | REG_NOSUB);
    if (rc != 0) {
        char message[256];
        regerror(rc, &p->re_, message, sizeof message);
        p->failed_ = true;   // nothing to regfree
        return make_error(message);
    }
    return std::shared_ptr<const TextPattern>(std::move(p));
}

TextPattern::~TextPattern() {
    if (!failed_) regfree(&re_);
}

bool TextPattern::found_in(const std::string& text) const {
    return regexec(&re_, text.c_str(), 0, nullptr, 0) == 0;
}

}  // namespace ringpost::delivery
