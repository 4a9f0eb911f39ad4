// LIST and LSUB mailbox patterns (RFC 3501 6.3.8): "*" matches any run of
// characters, "%" any run without the hierarchy delimiter "/", every other
// character itself; the name INBOX is matched case-insensitively (RFC 3501
// 5.1).
//
// A pattern is compiled once per command into a bit-parallel NFA (one bit
// per pattern position, runs of wildcards collapsed to one), so matching a
// name costs O(length of name x positions / 64) with no backtracking: a
// pattern like "*a*a*a...*a b" cannot make it blow up the way a recursive
// glob does. A pattern with more literal characters than the name is
// rejected without running the NFA.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace ringpost::imap {

// More wildcards than this in one pattern is refused by the parser (BAD):
// no client needs them, and they only make matching slower.
inline constexpr size_t kMaxListWildcards = 1000;

size_t count_list_wildcards(std::string_view pattern);

class ListPattern {
public:
    explicit ListPattern(std::string_view pattern);
    bool matches(std::string_view name) const;

private:
    // One compiled NFA: bit i of a mask is pattern position i (i elements
    // consumed); position `states - 1` accepts.
    struct Nfa {
        size_t words = 0;
        size_t states = 0;
        size_t literals = 0;                 // non-wildcard elements
        std::vector<uint64_t> star;          // positions whose element is "*"
        std::vector<uint64_t> percent;       // ... "%"
        std::vector<uint64_t> wild;          // star | percent
        std::array<int32_t, 256> literal_index{};   // -1, or index into `literal`
        std::vector<std::vector<uint64_t>> literal;  // positions whose element is that byte

        void compile(std::string_view pattern, bool upper);
        bool run(std::string_view name) const;
    };
    Nfa plain_;
    Nfa inbox_;   // the pattern upper-cased, for the name "INBOX"
};

}  // namespace ringpost::imap
