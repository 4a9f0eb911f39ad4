// LIST pattern matching without backtracking (see list_pattern.hpp).
#include "imap/list_pattern.hpp"

#include "imap/chars.hpp"

namespace ringpost::imap {

namespace {

bool is_wildcard(char c) { return c == '*' || c == '%'; }

void set_bit(std::vector<uint64_t>& mask, size_t i) { mask[i / 64] |= uint64_t{1} << (i % 64); }

// out |= in << 1 over the whole multi-word mask.
void or_shifted(std::vector<uint64_t>& out, const std::vector<uint64_t>& in) {
    uint64_t carry = 0;
    for (size_t w = 0; w < in.size(); ++w) {
        out[w] |= (in[w] << 1) | carry;
        carry = in[w] >> 63;
    }
}

}  // namespace

size_t count_list_wildcards(std::string_view pattern) {
    size_t n = 0;
    for (char c : pattern) n += is_wildcard(c) ? 1 : 0;
    return n;
}

void ListPattern::Nfa::compile(std::string_view pattern, bool upper) {
    // Elements after collapsing runs of wildcards: a run with a "*" is "*",
    // a run of "%" alone is "%". Adjacent wildcards are then impossible, so
    // one shift after each step closes the empty-match transitions.
    std::vector<char> elements;
    for (size_t i = 0; i < pattern.size();) {
        if (!is_wildcard(pattern[i])) {
            char c = pattern[i++];
            elements.push_back(upper ? to_upper(c) : c);
            ++literals;
            continue;
        }
        bool star = false;
        for (; i < pattern.size() && is_wildcard(pattern[i]); ++i) star = star || pattern[i] == '*';
        elements.push_back(star ? '*' : '%');
    }
    states = elements.size() + 1;
    words = (states + 63) / 64;
    star.assign(words, 0);
    percent.assign(words, 0);
    wild.assign(words, 0);
    literal_index.fill(-1);
    literal.clear();
    for (size_t i = 0; i < elements.size(); ++i) {
        const char c = elements[i];
        // A literal "*" or "%" cannot be written in a pattern: these are wildcards.
        if (c == '*' || c == '%') {
            set_bit(c == '*' ? star : percent, i);
            set_bit(wild, i);
            continue;
        }
        auto& index = literal_index[static_cast<unsigned char>(c)];
        if (index < 0) {
            index = static_cast<int32_t>(literal.size());
            literal.emplace_back(words, 0);
        }
        set_bit(literal[static_cast<size_t>(index)], i);
    }
}

bool ListPattern::Nfa::run(std::string_view name) const {
    if (name.size() < literals) return false;   // every literal needs a character of its own
    std::vector<uint64_t> active(words, 0), next(words, 0), scratch(words, 0);
    auto close = [&](std::vector<uint64_t>& d) {
        for (size_t w = 0; w < words; ++w) scratch[w] = d[w] & wild[w];
        or_shifted(d, scratch);
    };
    active[0] = 1;
    close(active);
    for (char c : name) {
        const int32_t li = literal_index[static_cast<unsigned char>(c)];
        bool any = false;
        for (size_t w = 0; w < words; ++w) {
            next[w] = (active[w] & star[w]) | (c != '/' ? active[w] & percent[w] : 0);
            scratch[w] = li >= 0 ? active[w] & literal[static_cast<size_t>(li)][w] : 0;
        }
        or_shifted(next, scratch);
        close(next);
        for (size_t w = 0; w < words; ++w) any = any || next[w] != 0;
        if (!any) return false;
        active.swap(next);
    }
    const size_t last = states - 1;
    return (active[last / 64] >> (last % 64)) & 1;
}

ListPattern::ListPattern(std::string_view pattern) {
    plain_.compile(pattern, false);
    inbox_.compile(pattern, true);
}

bool ListPattern::matches(std::string_view name) const {
    return (name == "INBOX" ? inbox_ : plain_).run(name);
}

}  // namespace ringpost::imap
