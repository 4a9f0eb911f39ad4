// A case-insensitive POSIX extended regular expression (regcomp(3), the
// syntax of `grep -E`, with glibc's \b \w \s \< \>), for the bounce rules.
// glibc's matcher simulates an automaton instead of backtracking: time grows
// with the text and the pattern, never exponentially, and the stack does not
// grow with the text -- which matters for text a remote server chose. (It is
// also 20-40 times faster than libstdc++'s std::regex on these patterns;
// bench/bench_bounce.cpp.)
#pragma once

#include <regex.h>

#include <memory>
#include <string>

#include "util/result.hpp"

namespace ringpost::delivery {

class TextPattern {
public:
    // Errors are regerror(3)'s text ("Unmatched ( or \\(").
    static Result<std::shared_ptr<const TextPattern>> compile(const std::string& pattern);
    ~TextPattern();
    TextPattern(const TextPattern&) = delete;
    TextPattern& operator=(const TextPattern&) = delete;

    // Whether the pattern matches anywhere in `text` (up to a NUL byte).
    // Safe from several threads at once (glibc locks the compiled pattern).
    bool found_in(const std::string& text) const;

private:
    TextPattern() = default;
    regex_t re_{};
    bool failed_ = false;   // regcomp failed: nothing to regfree
};

}  // namespace ringpost::delivery
