// IMAP sequence sets (RFC 3501 9 "sequence-set", RFC 9051 9): "1:4,7,9:*".
// The same type holds message sequence numbers and UIDs; "*" stands for the
// largest number in use, which is only known when the command runs, so a
// set is kept as written and resolved against a maximum when used.
//
// Ranges may be written backwards ("5:2" is "2:5"). Resolving clamps to
// [1, max], which gives RFC 9051's UID rule for free: "559:*" in a mailbox
// whose last UID is 500 is "500:559" and so includes 500. Message sequence
// numbers past the maximum are an error instead (RFC 9051 6.4.4); callers
// check that with max_number().
//
// A set is bounded (kMaxRanges) so a hostile "1,2,3,...": line cannot make
// later work quadratic.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace ringpost::imap {

class SequenceSet {
public:
    static constexpr uint32_t kStar = 0;          // "*" in a Range (0 is never a valid number)
    static constexpr size_t kMaxRanges = 10000;

    struct Range {
        uint32_t first = 0;   // as written: either may be kStar, first may exceed last
        uint32_t last = 0;
        bool operator==(const Range&) const = default;
    };

    SequenceSet() = default;

    // Parses a whole sequence-set; the text must contain nothing else.
    static Result<SequenceSet> parse(std::string_view text);

    // Adds "first:last" (kStar allowed). False once kMaxRanges is reached.
    bool add(uint32_t first, uint32_t last);
    bool add(uint32_t n) { return add(n, n); }

    const std::vector<Range>& ranges() const { return ranges_; }
    bool empty() const { return ranges_.empty(); }
    bool has_star() const;
    // The largest number written, ignoring "*" (0 when only "*" was written).
    uint32_t max_number() const;

    // Whether n is in the set, "*" being `max` (the largest number in use:
    // the message count, or the UID of the last message; 0 for an empty
    // mailbox). Numbers above max are never contained. O(log n) on a
    // resolved set, O(ranges) otherwise.
    bool contains(uint32_t n, uint32_t max) const;

    // The set with "*" replaced by max, clamped to [1, max], as sorted,
    // disjoint, non-adjacent ranges. contains() on the result is a binary
    // search; call it once per command, not per message.
    SequenceSet resolve(uint32_t max) const;

    // How many numbers in [1, max] the set holds.
    uint64_t count(uint32_t max) const;

    // Calls f(n) for each number in [1, max] in the set, ascending, once.
    template <class F>
    void for_each(uint32_t max, F&& f) const {
        SequenceSet r = resolve(max);
        for (const Range& range : r.ranges_) {
            for (uint64_t n = range.first; n <= range.last; ++n) f(static_cast<uint32_t>(n));
        }
    }

    // The set as IMAP text ("1:3,5,7:*").
    std::string to_string() const;
    // Numbers in the order given as IMAP text, ascending runs joined
    // ("1:3,5"): COPYUID and APPENDUID, whose lists a server builds itself
    // and which kMaxRanges must not cut short.
    static std::string compress(const std::vector<uint32_t>& numbers);

private:
    std::vector<Range> ranges_;
    bool resolved_ = false;   // ranges_ sorted, disjoint, without "*"
};

}  // namespace ringpost::imap
