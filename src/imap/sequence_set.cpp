// IMAP sequence sets (see sequence_set.hpp).
#include "imap/sequence_set.hpp"

#include <algorithm>
#include <charconv>

#include "imap/chars.hpp"

namespace ringpost::imap {

namespace {

// seq-number: nz-number / "*". Advances i.
bool parse_number(std::string_view s, size_t& i, uint32_t& out) {
    if (i < s.size() && s[i] == '*') {
        out = SequenceSet::kStar;
        ++i;
        return true;
    }
    if (i >= s.size() || !is_digit(s[i]) || s[i] == '0') return false;
    uint64_t n = 0;
    while (i < s.size() && is_digit(s[i])) {
        n = n * 10 + static_cast<uint64_t>(s[i] - '0');
        if (n > UINT32_MAX) return false;
        ++i;
    }
    out = static_cast<uint32_t>(n);
    return true;
}

void append_seq_number(std::string& out, uint32_t n) {
    if (n == SequenceSet::kStar) {
        out += '*';
        return;
    }
    char buf[16];
    out.append(buf, static_cast<size_t>(std::to_chars(buf, buf + sizeof buf, n).ptr - buf));
}

}  // namespace

Result<SequenceSet> SequenceSet::parse(std::string_view text) {
    SequenceSet set;
    size_t i = 0;
    while (true) {
        uint32_t first, last;
        if (!parse_number(text, i, first)) return make_error("Invalid sequence set");
        last = first;
        if (i < text.size() && text[i] == ':') {
            ++i;
            if (!parse_number(text, i, last)) return make_error("Invalid sequence set");
        }
        if (!set.add(first, last)) return make_error("Sequence set too large");
        if (i == text.size()) break;
        if (text[i] != ',') return make_error("Invalid sequence set");
        ++i;
    }
    return set;
}

bool SequenceSet::add(uint32_t first, uint32_t last) {
    if (ranges_.size() >= kMaxRanges) return false;
    ranges_.push_back({first, last});
    resolved_ = false;
    return true;
}

bool SequenceSet::has_star() const {
    return std::any_of(ranges_.begin(), ranges_.end(),
                       [](const Range& r) { return r.first == kStar || r.last == kStar; });
}

uint32_t SequenceSet::max_number() const {
    uint32_t m = 0;
    for (const Range& r : ranges_) m = std::max({m, r.first, r.last});
    return m;
}

bool SequenceSet::contains(uint32_t n, uint32_t max) const {
    if (n == 0 || n > max) return false;
    if (resolved_) {
        auto it = std::upper_bound(ranges_.begin(), ranges_.end(), n,
                                   [](uint32_t v, const Range& r) { return v < r.first; });
        return it != ranges_.begin() && n <= std::prev(it)->last;
    }
    for (const Range& r : ranges_) {
        uint32_t a = r.first == kStar ? max : r.first;
        uint32_t b = r.last == kStar ? max : r.last;
        if (a > b) std::swap(a, b);
        if (n >= a && n <= b) return true;
    }
    return false;
}

SequenceSet SequenceSet::resolve(uint32_t max) const {
    SequenceSet out;
    out.resolved_ = true;
    if (max == 0) return out;
    out.ranges_.reserve(ranges_.size());
    for (const Range& r : ranges_) {
        uint32_t a = r.first == kStar ? max : r.first;
        uint32_t b = r.last == kStar ? max : r.last;
        if (a > b) std::swap(a, b);
        if (a > max) continue;
        out.ranges_.push_back({a, std::min(b, max)});
    }
    std::sort(out.ranges_.begin(), out.ranges_.end(),
              [](const Range& x, const Range& y) { return x.first < y.first; });
    size_t w = 0;
    for (size_t k = 0; k < out.ranges_.size(); ++k) {
        const Range& r = out.ranges_[k];
        if (w > 0 && static_cast<uint64_t>(r.first) <= static_cast<uint64_t>(out.ranges_[w - 1].last) + 1) {
            out.ranges_[w - 1].last = std::max(out.ranges_[w - 1].last, r.last);
        } else {
            out.ranges_[w++] = r;
        }
    }
    out.ranges_.resize(w);
    return out;
}

uint64_t SequenceSet::count(uint32_t max) const {
    uint64_t n = 0;
    for (const Range& r : resolve(max).ranges_) n += uint64_t(r.last) - r.first + 1;
    return n;
}

std::string SequenceSet::to_string() const {
    std::string out;
    for (const Range& r : ranges_) {
        if (!out.empty()) out += ',';
        append_seq_number(out, r.first);
        if (r.last != r.first) {
            out += ':';
            append_seq_number(out, r.last);
        }
    }
    return out;
}

std::string SequenceSet::compress(const std::vector<uint32_t>& numbers) {
    std::string out;
    for (size_t i = 0; i < numbers.size();) {
        size_t j = i;
        while (j + 1 < numbers.size() && numbers[j + 1] == numbers[j] + 1) ++j;
        if (!out.empty()) out += ',';
        out += std::to_string(numbers[i]);
        if (j > i) {
            out += ':';
            out += std::to_string(numbers[j]);
        }
        i = j + 1;
    }
    return out;
}

}  // namespace ringpost::imap
