// DATA dot-stuffing of the delivery client: dots at line starts, the end
// marker, bare LF repair, and identical output however the body is sliced
// into input pieces and output chunks.
#include <gtest/gtest.h>

#include <string>

#include "delivery/client_dot_stuffer.hpp"

using ringpost::delivery::DotStuffer;

namespace {

// Encodes `body` fed in pieces of `piece` bytes into chunks of `limit`
// bytes (each chunk drained, as the session does), then finishes.
std::string stuff(std::string_view body, size_t piece, size_t limit) {
    DotStuffer s;
    std::string all;
    std::string chunk;
    size_t pos = 0;
    while (pos < body.size()) {
        std::string_view in = body.substr(pos, piece);
        size_t n = s.encode(in, chunk, limit);
        EXPECT_LE(chunk.size(), limit);
        pos += n;
        all += chunk;
        chunk.clear();
    }
    s.finish(chunk);
    return all + chunk;
}

}  // namespace

TEST(ClientDotStuffer, DoublesLeadingDotsAndTerminates) {
    EXPECT_EQ(stuff(".\r\n", 100, 100), "..\r\n.\r\n");
    EXPECT_EQ(stuff("a\r\n.b\r\n..c\r\n", 100, 100), "a\r\n..b\r\n...c\r\n.\r\n");
    EXPECT_EQ(stuff("a.b\r\n", 100, 100), "a.b\r\n.\r\n");   // only at a line start
    EXPECT_EQ(stuff("", 100, 100), ".\r\n");
}

TEST(ClientDotStuffer, AddsMissingFinalLineEnd) {
    EXPECT_EQ(stuff("no newline", 100, 100), "no newline\r\n.\r\n");
    EXPECT_EQ(stuff("ends in cr\r", 100, 100), "ends in cr\r\n.\r\n");
}

TEST(ClientDotStuffer, BareLfBecomesCrlf) {
    // "\n.\n" must never reach a server that might read it as end of data.
    EXPECT_EQ(stuff("a\n.\nb\r\n", 100, 100), "a\r\n..\r\nb\r\n.\r\n");
    EXPECT_EQ(stuff("x\ry\r\n", 100, 100), "x\ry\r\n.\r\n");   // a bare CR stays
}

TEST(ClientDotStuffer, SameOutputForEverySlicing) {
    const std::string body =
        ".\r\nline\r\n..two\r\n\r\n.\r\n.x\n.\r\nend.\r\n.";
    const std::string expected = stuff(body, body.size(), 1 << 20);
    EXPECT_EQ(expected, "..\r\nline\r\n...two\r\n\r\n..\r\n..x\r\n..\r\nend.\r\n..\r\n.\r\n");
    for (size_t piece = 1; piece <= body.size(); ++piece) {
        for (size_t limit : {2u, 3u, 5u, 7u, 64u}) {
            EXPECT_EQ(stuff(body, piece, limit), expected) << "piece " << piece << " limit " << limit;
        }
    }
}

TEST(ClientDotStuffer, CrlfDotSplitAcrossPieces) {
    // "\r\n." split between calls: the stuffer remembers the line start.
    DotStuffer s;
    std::string out;
    EXPECT_EQ(s.encode("a\r", out, 100), 2u);
    EXPECT_EQ(s.encode("\n", out, 100), 1u);
    EXPECT_EQ(s.encode(".b\r\n", out, 100), 4u);
    s.finish(out);
    EXPECT_EQ(out, "a\r\n..b\r\n.\r\n");
}

TEST(ClientDotStuffer, ChunkLimitStopsEarly) {
    DotStuffer s;
    std::string out;
    std::string body(1000, 'x');
    size_t n = s.encode(body, out, 300);
    EXPECT_EQ(n, 300u);
    EXPECT_EQ(out.size(), 300u);
}
