// proto::LineFramer: lines found in place, CR LF or bare LF, incomplete
// lines left to the caller, and overlong lines skipped as they arrive and
// reported once at their end, whether they come whole or in pieces.
#include "proto/line_framer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

using ringpost::proto::LineFramer;
using Kind = LineFramer::Kind;

namespace {

// Feeds `chunks` as a driver would (keeping what is not consumed) and
// lists every frame: the line, or "<overlong>".
std::vector<std::string> frames(const std::vector<std::string>& chunks, size_t max_line, size_t* held = nullptr) {
    LineFramer framer;
    std::vector<std::string> seen;
    std::string buffer;
    size_t most_held = 0;
    for (const std::string& chunk : chunks) {
        buffer += chunk;
        most_held = std::max(most_held, buffer.size());
        size_t pos = 0;
        for (;;) {
            LineFramer::Frame f = framer.peek(buffer, pos, max_line);
            pos = framer.take(f);
            if (f.kind == Kind::kNeedInput) break;
            seen.push_back(f.kind == Kind::kLine ? std::string(f.line) : "<overlong>");
        }
        buffer.erase(0, pos);
    }
    if (held) *held = most_held;
    return seen;
}

}  // namespace

TEST(LineFramer, SplitsCrLfAndBareLfLines) {
    EXPECT_EQ(frames({"EHLO a\r\nNOOP\nQUIT\r\n"}, 64), (std::vector<std::string>{"EHLO a", "NOOP", "QUIT"}));
}

TEST(LineFramer, AnIncompleteLineIsLeftToTheCaller) {
    LineFramer framer;
    std::string in = "NOOP\r\nMAIL FR";
    LineFramer::Frame f = framer.peek(in, 0, 64);
    ASSERT_EQ(f.kind, Kind::kLine);
    EXPECT_EQ(framer.take(f), 6u);
    f = framer.peek(in, 6, 64);
    EXPECT_EQ(f.kind, Kind::kNeedInput);
    EXPECT_EQ(framer.take(f), 6u);   // nothing of "MAIL FR" consumed
    EXPECT_FALSE(framer.skipping());
    EXPECT_EQ(frames({"MAIL FR", "OM:<a@b>\r\n"}, 64), std::vector<std::string>{"MAIL FROM:<a@b>"});
}

TEST(LineFramer, PeekChangesNothing) {
    LineFramer framer;
    std::string in(100, 'x');
    LineFramer::Frame f = framer.peek(in, 0, 10);
    EXPECT_EQ(f.kind, Kind::kNeedInput);
    EXPECT_TRUE(f.skip);
    EXPECT_FALSE(framer.skipping());
    EXPECT_EQ(framer.take(f), 100u);
    EXPECT_TRUE(framer.skipping());
}

TEST(LineFramer, TheLimitCountsTheLineEnd) {
    // 8 bytes with CR LF fit a limit of 8; 9 do not.
    EXPECT_EQ(frames({"123456\r\n"}, 8), std::vector<std::string>{"123456"});
    EXPECT_EQ(frames({"1234567\r\n"}, 8), std::vector<std::string>{"<overlong>"});
}

TEST(LineFramer, AnOverlongLineInOnePieceIsSkippedAndTheNextLineRead) {
    EXPECT_EQ(frames({std::string(300, 'a') + "\r\nNOOP\r\n"}, 64), (std::vector<std::string>{"<overlong>", "NOOP"}));
}

TEST(LineFramer, AnOverlongLineArrivingInPiecesNeverHoldsMoreThanTheLimit) {
    std::vector<std::string> chunks(50, std::string(40, 'z'));
    chunks.push_back("zz\r\nQUIT\r\n");
    size_t held = 0;
    EXPECT_EQ(frames(chunks, 64, &held), (std::vector<std::string>{"<overlong>", "QUIT"}));
    // Dropped as soon as it could not fit: one chunk more than the limit at most.
    EXPECT_LT(held, 64u + 40u);
}

TEST(LineFramer, ResetForgetsAnOverlongLine) {
    LineFramer framer;
    std::string in(100, 'x');
    framer.take(framer.peek(in, 0, 10));
    ASSERT_TRUE(framer.skipping());
    framer.reset();
    std::string next = "QUIT\r\n";
    LineFramer::Frame f = framer.peek(next, 0, 10);
    EXPECT_EQ(f.kind, Kind::kLine);
    EXPECT_EQ(f.line, "QUIT");
}
