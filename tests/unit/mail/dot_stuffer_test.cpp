// Dot-stuffing (src/mail/dot_stuffer.hpp), as POP3 RETR/TOP and the delivery
// client's DATA use it: dots at line starts, the end marker, bare LF repair,
// a bare CR kept, a missing final line end added, identical output for any
// slicing of the input and of the output, and TOP's line limit.
#include "mail/dot_stuffer.hpp"

#include <gtest/gtest.h>

#include <string>

using ringpost::mail::DotStuffer;

namespace {

// Encodes `in` fed `piece` bytes at a time into outputs of at most `chunk`
// bytes (each drained, as the senders do); with `top` >= 0 the TOP limit.
// Returns everything written, terminator included.
std::string encode(std::string_view in, size_t piece, size_t chunk, int64_t top = -1) {
    DotStuffer s;
    if (top >= 0) s.limit_body_lines(uint64_t(top));
    std::string all, out;
    size_t pos = 0;
    while (pos < in.size() && !s.done()) {
        size_t used = s.encode(in.substr(pos, piece), out, chunk);
        EXPECT_LE(out.size(), chunk);
        pos += used;
        all += out;
        out.clear();
    }
    s.finish(out);
    return all + out;
}

}  // namespace

TEST(DotStuffer, DoublesLeadingDotsAndTerminates) {
    EXPECT_EQ(encode("a\r\n.b\r\n.\r\n..\r\nc.d\r\n", 1000, 1000), "a\r\n..b\r\n..\r\n...\r\nc.d\r\n.\r\n");
    EXPECT_EQ(encode(".first\r\n", 1000, 1000), "..first\r\n.\r\n");
    EXPECT_EQ(encode(".\r\n", 100, 100), "..\r\n.\r\n");
    EXPECT_EQ(encode("a.b\r\n", 100, 100), "a.b\r\n.\r\n");   // only at a line start
    EXPECT_EQ(encode("", 1000, 1000), ".\r\n");
}

TEST(DotStuffer, AddsAMissingFinalLineEnd) {
    EXPECT_EQ(encode("a\r\nno end", 1000, 1000), "a\r\nno end\r\n.\r\n");
    // A trailing bare CR becomes the CR of the final CRLF.
    EXPECT_EQ(encode("x\r", 1000, 1000), "x\r\n.\r\n");
}

TEST(DotStuffer, BareLfBecomesCrlfAndBareCrStays) {
    // "\n.\n" must never reach a peer that might read it as the end.
    EXPECT_EQ(encode("a\n.b\n", 1000, 1000), "a\r\n..b\r\n.\r\n");
    EXPECT_EQ(encode("a\n.\nb\r\n", 100, 100), "a\r\n..\r\nb\r\n.\r\n");
    EXPECT_EQ(encode("x\ry\r\n", 1000, 1000), "x\ry\r\n.\r\n");
}

TEST(DotStuffer, AnySlicingGivesTheSameBytes) {
    std::string msg = "Subject: s\r\n\r\n";
    for (int i = 0; i < 300; ++i) msg += (i % 4 == 0 ? ".." : "") + std::string(size_t(i % 37), 'x') + "\r\n";
    msg += ".\r\n";
    const std::string expected = encode(msg, msg.size(), msg.size() * 2);
    for (size_t piece : {1u, 2u, 3u, 7u, 64u})
        for (size_t chunk : {8u, 9u, 100u, 4096u}) EXPECT_EQ(encode(msg, piece, chunk), expected) << piece << "/" << chunk;
}

TEST(DotStuffer, AnySlicingOfBareLfsAndDots) {
    const std::string body = ".\r\nline\r\n..two\r\n\r\n.\r\n.x\n.\r\nend.\r\n.";
    const std::string expected = "..\r\nline\r\n...two\r\n\r\n..\r\n..x\r\n..\r\nend.\r\n..\r\n.\r\n";
    EXPECT_EQ(encode(body, body.size(), 1 << 20), expected);
    for (size_t piece = 1; piece <= body.size(); ++piece)
        for (size_t chunk : {2u, 3u, 5u, 7u, 64u})
            EXPECT_EQ(encode(body, piece, chunk), expected) << "piece " << piece << " chunk " << chunk;
}

TEST(DotStuffer, CrlfDotSplitAcrossPieces) {
    // "\r\n." split between calls: the stuffer remembers the line start.
    DotStuffer s;
    std::string out;
    EXPECT_EQ(s.encode("a\r", out, 100), 2u);
    EXPECT_EQ(s.encode("\n", out, 100), 1u);
    EXPECT_EQ(s.encode(".b\r\n", out, 100), 4u);
    s.finish(out);
    EXPECT_EQ(out, "a\r\n..b\r\n.\r\n");
}

TEST(DotStuffer, ChunkLimitStopsEarly) {
    DotStuffer s;
    std::string out;
    std::string body(1000, 'x');
    EXPECT_EQ(s.encode(body, out, 300), 300u);
    EXPECT_EQ(out.size(), 300u);
}

TEST(DotStuffer, TopPassesHeaderAndSomeBodyLines) {
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
