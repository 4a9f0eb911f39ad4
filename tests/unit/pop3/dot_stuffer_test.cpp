// POP3 byte-stuffing (src/pop3/dot_stuffer.hpp): dots at line starts, any
// slicing of the input and of the output, bare LF, TOP's line limit.
#include "pop3/dot_stuffer.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace ringpost::pop3;

namespace {

// Encodes `in` fed `piece` bytes at a time into outputs of at most `chunk`
// bytes; returns everything written, terminator included.
std::string encode(std::string_view in, size_t piece, size_t chunk, int64_t top = -1) {
    DotStuffer s;
    if (top >= 0) s.limit_body_lines(uint64_t(top));
    std::string all, out;
    size_t pos = 0;
    while (pos < in.size() && !s.done()) {
        size_t n = std::min(piece, in.size() - pos);
        size_t used = s.encode(in.substr(pos, n), out, chunk);
        EXPECT_LE(out.size(), chunk);
        pos += used;
        if (used < n || out.size() + 2 > chunk) {
            all += out;
            out.clear();
        }
    }
    s.finish(out);
    return all + out;
}

}  // namespace

TEST(Pop3DotStuffer, DoublesLeadingDotsAndTerminates) {
    EXPECT_EQ(encode("a\r\n.b\r\n.\r\n..\r\nc.d\r\n", 1000, 1000), "a\r\n..b\r\n..\r\n...\r\nc.d\r\n.\r\n");
    EXPECT_EQ(encode(".first\r\n", 1000, 1000), "..first\r\n.\r\n");
    EXPECT_EQ(encode("", 1000, 1000), ".\r\n");
}

TEST(Pop3DotStuffer, AddsAMissingFinalLineEndAndFixesBareLf) {
    EXPECT_EQ(encode("a\r\nno end", 1000, 1000), "a\r\nno end\r\n.\r\n");
    EXPECT_EQ(encode("a\n.b\n", 1000, 1000), "a\r\n..b\r\n.\r\n");
    EXPECT_EQ(encode("x\r", 1000, 1000), "x\r\n.\r\n");
    EXPECT_EQ(encode("x\ry\r\n", 1000, 1000), "x\ry\r\n.\r\n");
}

TEST(Pop3DotStuffer, AnySlicingGivesTheSameBytes) {
    std::string msg = "Subject: s\r\n\r\n";
    for (int i = 0; i < 300; ++i) msg += (i % 4 == 0 ? ".." : "") + std::string(size_t(i % 37), 'x') + "\r\n";
    msg += ".\r\n";
    const std::string expected = encode(msg, msg.size(), msg.size() * 2);
    for (size_t piece : {1u, 2u, 3u, 7u, 64u})
        for (size_t chunk : {8u, 9u, 100u, 4096u}) EXPECT_EQ(encode(msg, piece, chunk), expected) << piece << "/" << chunk;
}

TEST(Pop3DotStuffer, TopPassesHeaderAndSomeBodyLines) {
    const std::string msg = "A: 1\r\nB: 2\r\n\r\n.one\r\ntwo\r\nthree\r\n";
    EXPECT_EQ(encode(msg, 1000, 1000, 0), "A: 1\r\nB: 2\r\n\r\n.\r\n");
    EXPECT_EQ(encode(msg, 1000, 1000, 1), "A: 1\r\nB: 2\r\n\r\n..one\r\n.\r\n");
    EXPECT_EQ(encode(msg, 1000, 1000, 3), "A: 1\r\nB: 2\r\n\r\n..one\r\ntwo\r\nthree\r\n.\r\n");
    EXPECT_EQ(encode(msg, 1000, 1000, 50), "A: 1\r\nB: 2\r\n\r\n..one\r\ntwo\r\nthree\r\n.\r\n");
    for (size_t piece : {1u, 2u, 5u}) EXPECT_EQ(encode(msg, piece, 9, 1), "A: 1\r\nB: 2\r\n\r\n..one\r\n.\r\n");
    // No blank line: all header; a body that starts at once.
    EXPECT_EQ(encode("A: 1\r\nB: 2\r\n", 1000, 1000, 0), "A: 1\r\nB: 2\r\n.\r\n");
    EXPECT_EQ(encode("\r\nbody\r\nmore\r\n", 1000, 1000, 1), "\r\nbody\r\n.\r\n");
    // A bare-LF blank line ends the header too.
    EXPECT_EQ(encode("A: 1\n\nb1\nb2\n", 1000, 1000, 1), "A: 1\r\n\r\nb1\r\n.\r\n");
}
