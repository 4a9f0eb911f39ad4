// Tests for LIST pattern matching (src/imap/list_pattern.hpp): RFC 3501
// 6.3.8's "*" and "%", INBOX's case-insensitivity, agreement with a plain
// recursive matcher on every short pattern and name over a small alphabet,
// and adversarial patterns that make a backtracking glob run for seconds
// (correctness is asserted here; the time is the benchmark's business).
#include "imap/list_pattern.hpp"

#include <gtest/gtest.h>

#include <string>

using ringpost::imap::count_list_wildcards;
using ringpost::imap::ListPattern;

namespace {

bool match(std::string_view pattern, std::string_view name) { return ListPattern(pattern).matches(name); }

// The textbook definition, exponential in the worst case: the reference
// the fast matcher is checked against.
bool reference(std::string_view p, std::string_view n) {
    if (p.empty()) return n.empty();
    if (p[0] == '*') {
        for (size_t k = 0; k <= n.size(); ++k)
            if (reference(p.substr(1), n.substr(k))) return true;
        return false;
    }
    if (p[0] == '%') {
        for (size_t k = 0; k <= n.size(); ++k) {
            if (reference(p.substr(1), n.substr(k))) return true;
            if (k < n.size() && n[k] == '/') return false;
        }
        return false;
    }
    return !n.empty() && p[0] == n[0] && reference(p.substr(1), n.substr(1));
}

// Every string of length <= max_len over `alphabet`.
std::vector<std::string> all_strings(std::string_view alphabet, size_t max_len) {
    std::vector<std::string> out{""};
    for (size_t begin = 0, len = 0; len < max_len; ++len) {
        const size_t end = out.size();
        for (size_t i = begin; i < end; ++i)
            for (char c : alphabet) out.push_back(out[i] + c);
        begin = end;
    }
    return out;
}

}  // namespace

TEST(ListPattern, Rfc3501Wildcards) {
    EXPECT_TRUE(match("*", ""));
    EXPECT_TRUE(match("*", "a/b/c"));
    EXPECT_TRUE(match("%", "Sent"));
    EXPECT_FALSE(match("%", "Lists/ietf"));
    EXPECT_TRUE(match("Lists/%", "Lists/ietf"));
    EXPECT_FALSE(match("Lists/%", "Lists/ietf/imap"));
    EXPECT_TRUE(match("Lists/*", "Lists/ietf/imap"));
    EXPECT_TRUE(match("%/%", "a/b"));
    EXPECT_FALSE(match("%/%", "a/b/c"));
    EXPECT_TRUE(match("*a%b", "a/ab"));   // a greedy leftmost "a" would fail here
    EXPECT_TRUE(match("Sent", "Sent"));
    EXPECT_FALSE(match("Sent", "sent"));
    EXPECT_FALSE(match("Sent", "Sent/x"));
    EXPECT_TRUE(match("%*%", "x/y"));   // a run with a "*" is a "*"
    EXPECT_TRUE(match("", ""));
    EXPECT_FALSE(match("", "a"));
}

TEST(ListPattern, InboxIsCaseInsensitive) {
    EXPECT_TRUE(match("inbox", "INBOX"));
    EXPECT_TRUE(match("in*", "INBOX"));
    EXPECT_TRUE(match("InB%", "INBOX"));
    EXPECT_FALSE(match("inbox/*", "INBOX"));
    // Only the name INBOX itself: its children keep their case.
    EXPECT_FALSE(match("inbox/a", "INBOX/a"));
}

TEST(ListPattern, AgreesWithRecursiveDefinition) {
    const auto patterns = all_strings("a/*%", 5);
    const auto names = all_strings("ab/", 5);
    size_t checked = 0;
    for (const auto& p : patterns) {
        ListPattern compiled(p);
        for (const auto& n : names) {
            ASSERT_EQ(compiled.matches(n), reference(p, n)) << "pattern '" << p << "' name '" << n << "'";
            ++checked;
        }
    }
    EXPECT_GT(checked, 100000u);
}

TEST(ListPattern, ManyPositionsAcrossWords) {
    // More than 64 positions: the bit masks span several words.
    std::string pattern, name;
    for (int i = 0; i < 200; ++i) {
        pattern += "%x";
        name += "yx";
    }
    EXPECT_TRUE(match(pattern, name));
    EXPECT_TRUE(match(pattern + "%", name + "zz"));
    EXPECT_FALSE(match(pattern, name + "/"));
    EXPECT_FALSE(match(pattern + "q", name));
}

TEST(ListPattern, AdversarialPatternsAnswerCorrectly) {
    // "(*a)*1000 b" against long names of "a": a backtracking glob tries
    // every split; the NFA walks each name once.
    std::string pattern;
    for (int i = 0; i < 1000; ++i) pattern += "*a";
    const std::string no_b = pattern + " b";
    const std::string long_a(4000, 'a');
    ListPattern compiled(no_b);
    for (int i = 0; i < 50; ++i) EXPECT_FALSE(compiled.matches(long_a + "/" + std::to_string(i)));
    EXPECT_TRUE(compiled.matches(long_a + " b"));
    EXPECT_TRUE(ListPattern(pattern).matches(long_a));
    EXPECT_FALSE(ListPattern(pattern).matches(std::string(999, 'a')));
    // "%" variant: the delimiter ends every run.
    std::string percent;
    for (int i = 0; i < 1000; ++i) percent += "%a";
    EXPECT_FALSE(ListPattern(percent + "/b").matches(long_a + "/c"));
    EXPECT_TRUE(ListPattern(percent + "/b").matches(long_a + "/b"));
}

TEST(ListPattern, CountsWildcards) {
    EXPECT_EQ(count_list_wildcards("a*b%c"), 2u);
    EXPECT_EQ(count_list_wildcards("INBOX"), 0u);
}
