// Tests for IMAP sequence sets (src/imap/sequence_set.hpp).
#include "imap/sequence_set.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace ringpost::imap;

namespace {

SequenceSet set(std::string_view text) {
    auto r = SequenceSet::parse(text);
    EXPECT_TRUE(r.ok()) << text;
    return r.ok() ? r.value() : SequenceSet();
}

std::vector<uint32_t> numbers(const SequenceSet& s, uint32_t max) {
    std::vector<uint32_t> out;
    s.for_each(max, [&](uint32_t n) { out.push_back(n); });
    return out;
}

}  // namespace

TEST(SequenceSet, Parses) {
    SequenceSet s = set("1:4,7,9:*");
    ASSERT_EQ(s.ranges().size(), 3u);
    EXPECT_EQ(s.ranges()[0], (SequenceSet::Range{1, 4}));
    EXPECT_EQ(s.ranges()[1], (SequenceSet::Range{7, 7}));
    EXPECT_EQ(s.ranges()[2], (SequenceSet::Range{9, SequenceSet::kStar}));
    EXPECT_TRUE(s.has_star());
    EXPECT_EQ(s.max_number(), 9u);
    EXPECT_EQ(s.to_string(), "1:4,7,9:*");
    EXPECT_EQ(set("*").to_string(), "*");
    EXPECT_EQ(set("*:5").to_string(), "*:5");
    EXPECT_EQ(set("4294967295").max_number(), 4294967295u);
    EXPECT_FALSE(set("1,2").has_star());
}

TEST(SequenceSet, RejectsBadSyntax) {
    for (const char* bad : {"", "0", "01", "1:0", "1:", ":1", "1,", ",1", "1,,2", "1::2", "a", "1:2:3", "4294967296",
                            "99999999999999999999", "1 ", " 1", "-1", "1-3", "**", "1:**", "$"}) {
        EXPECT_FALSE(SequenceSet::parse(bad).ok()) << bad;
    }
}

TEST(SequenceSet, RejectsAbsurdSets) {
    std::string text = "1";
    for (int i = 2; i <= 10000; ++i) text += "," + std::to_string(i);
    EXPECT_TRUE(SequenceSet::parse(text).ok());
    text += ",10001";
    auto r = SequenceSet::parse(text);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, "Sequence set too large");
}

TEST(SequenceSet, ContainsWithStar) {
    SequenceSet s = set("2:4,10:*");
    EXPECT_FALSE(s.contains(1, 20));
    EXPECT_TRUE(s.contains(2, 20));
    EXPECT_TRUE(s.contains(4, 20));
    EXPECT_FALSE(s.contains(5, 20));
    EXPECT_TRUE(s.contains(10, 20));
    EXPECT_TRUE(s.contains(20, 20));
    EXPECT_FALSE(s.contains(21, 20));   // above the maximum
    EXPECT_FALSE(s.contains(0, 20));
    // "*" alone is the last message.
    EXPECT_TRUE(set("*").contains(7, 7));
    EXPECT_FALSE(set("*").contains(6, 7));
}

TEST(SequenceSet, BackwardRangesAndUidStarRule) {
    EXPECT_TRUE(set("5:2").contains(3, 10));
    EXPECT_EQ(numbers(set("5:2"), 10), (std::vector<uint32_t>{2, 3, 4, 5}));
    // RFC 9051 6.4.8: "559:*" includes the last UID even when it is below 559.
    SequenceSet s = set("559:*");
    EXPECT_TRUE(s.contains(500, 500));
    EXPECT_FALSE(s.contains(499, 500));
    EXPECT_EQ(numbers(s, 500), (std::vector<uint32_t>{500}));
    // "*:4" with max 2 is 2:4 clamped to 2.
    EXPECT_EQ(numbers(set("*:4"), 2), (std::vector<uint32_t>{2}));
}

TEST(SequenceSet, EmptyMailbox) {
    SequenceSet s = set("1:*");
    EXPECT_FALSE(s.contains(1, 0));
    EXPECT_TRUE(numbers(s, 0).empty());
    EXPECT_EQ(s.count(0), 0u);
    EXPECT_TRUE(s.resolve(0).empty());
}

TEST(SequenceSet, ResolveSortsMergesAndClamps) {
    SequenceSet s = set("9,1:3,2:5,7,8,20:30,*");
    SequenceSet r = s.resolve(25);
    EXPECT_EQ(r.to_string(), "1:5,7:9,20:25");
    EXPECT_EQ(s.count(25), 5u + 3u + 6u);
    EXPECT_EQ(numbers(s, 10), (std::vector<uint32_t>{1, 2, 3, 4, 5, 7, 8, 9, 10}));
    // contains() on a resolved set agrees with the unresolved one.
    for (uint32_t n = 0; n <= 30; ++n) EXPECT_EQ(r.contains(n, 25), s.contains(n, 25)) << n;
    // Duplicates are visited once.
    EXPECT_EQ(numbers(set("3,3,3:3,1:5"), 5), (std::vector<uint32_t>{1, 2, 3, 4, 5}));
}

TEST(SequenceSet, ExtremeValues) {
    SequenceSet s = set("4294967294:*");
    EXPECT_TRUE(s.contains(4294967295u, 4294967295u));
    EXPECT_EQ(s.count(4294967295u), 2u);
    EXPECT_EQ(set("1:*").count(4294967295u), 4294967295u);
    SequenceSet r = set("4294967295,1:4294967294").resolve(4294967295u);
    EXPECT_EQ(r.to_string(), "1:4294967295");
}

TEST(SequenceSet, BuildAndBound) {
    SequenceSet s;
    EXPECT_TRUE(s.empty());
    EXPECT_TRUE(s.add(3));
    EXPECT_TRUE(s.add(5, 8));
    EXPECT_EQ(s.to_string(), "3,5:8");
    for (size_t i = 2; i < SequenceSet::kMaxRanges; ++i) EXPECT_TRUE(s.add(100));
    EXPECT_FALSE(s.add(101));
    EXPECT_EQ(s.ranges().size(), SequenceSet::kMaxRanges);
}
