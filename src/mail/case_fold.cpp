// Simple case folding; see case_fold.hpp. The table is runs of code points
// (case_fold_table.cpp), found by binary search; ASCII never reaches it.
#include "mail/case_fold.hpp"

#include <algorithm>

#include "mail/case_fold_table.hpp"
#include "util/utf8.hpp"

namespace ringpost::mail {

uint32_t fold_code_point(uint32_t cp) {
    if (cp < 0x80) return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    const detail::FoldRun* end = detail::kFoldRuns + detail::kFoldRunCount;
    const detail::FoldRun* run =
        std::upper_bound(detail::kFoldRuns, end, cp, [](uint32_t c, const detail::FoldRun& r) { return c < r.first; });
    if (run == detail::kFoldRuns) return cp;
    --run;
    if (cp > run->last || (cp - run->first) % run->step != 0) return cp;
    return static_cast<uint32_t>(static_cast<int64_t>(cp) + run->delta);
}

std::string fold_case(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {   // the common case, without a table lookup
            out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
            ++i;
            continue;
        }
        uint32_t cp;
        if (!utf8::next_code_point(text, i, cp)) cp = utf8::kReplacementChar;
        utf8::append(out, fold_code_point(cp));
    }
    return out;
}

}  // namespace ringpost::mail
