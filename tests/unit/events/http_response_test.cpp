// The webhook client's bounded response reader (events/http_response.hpp):
// framing by length, by chunks and by the close, fed whole and a byte at a
// time, interim responses, and every malformed or oversized input refused.
#include <gtest/gtest.h>

#include "events/http_response.hpp"

namespace ringpost::events {
namespace {

using State = ResponseReader::State;

// Feeds `text` in pieces of `step` bytes; the state after the last piece
// (or kDone/kError as soon as reached).
State feed_all(ResponseReader& r, std::string_view text, size_t step = 0) {
    if (step == 0) step = text.size();
    State st = State::kNeedMore;
    size_t pos = 0;
    while (pos < text.size() && st == State::kNeedMore) {
        size_t used = 0;
        std::string_view piece = text.substr(pos, step);
        st = r.feed(piece, used);
        EXPECT_LE(used, piece.size());
        pos += used;
        if (st == State::kNeedMore) {
            EXPECT_EQ(used, piece.size());
        }
    }
    return st;
}

class Pieces : public ::testing::TestWithParam<size_t> {};

TEST_P(Pieces, ContentLength) {
    ResponseReader r;
    EXPECT_EQ(feed_all(r, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello", GetParam()), State::kDone);
    EXPECT_EQ(r.status(), 200);
    EXPECT_EQ(r.reason(), "OK");
    EXPECT_EQ(r.body(), "hello");
    EXPECT_TRUE(r.keep_alive());
}

TEST_P(Pieces, ChunkedWithExtensionsAndTrailer) {
    ResponseReader r;
    EXPECT_EQ(feed_all(r,
                       "HTTP/1.1 202 Accepted\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                       "4;ext=1\r\nwiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-T: 1\r\n\r\n",
                       GetParam()),
              State::kDone);
    EXPECT_EQ(r.status(), 202);
    EXPECT_EQ(r.body(), "wikipedia in\r\n\r\nchunks.");
}

TEST_P(Pieces, InterimResponsesAreSkipped) {
    ResponseReader r;
    EXPECT_EQ(feed_all(r, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", GetParam()), State::kDone);
    EXPECT_EQ(r.status(), 204);
}

INSTANTIATE_TEST_SUITE_P(WholeAndByteByByte, Pieces, ::testing::Values(0, 1, 3));

TEST(ResponseReader, StopsAtTheEndOfTheResponse) {
    ResponseReader r;
    std::string_view text = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 500 x\r\n";
    size_t used = 0;
    EXPECT_EQ(r.feed(text, used), State::kDone);
    EXPECT_EQ(text.substr(used), "HTTP/1.1 500 x\r\n");
}

TEST(ResponseReader, BodyUntilCloseAndBareLineFeeds) {
    ResponseReader r;
    EXPECT_EQ(feed_all(r, "HTTP/1.0 500 Internal\nServer: x\n\npartial"), State::kNeedMore);
    EXPECT_EQ(r.finish(), State::kDone);
    EXPECT_EQ(r.status(), 500);
    EXPECT_EQ(r.body(), "partial");
    EXPECT_FALSE(r.keep_alive());
}

TEST(ResponseReader, ConnectionCloseAndNoBodyStatuses) {
    ResponseReader r;
    EXPECT_EQ(feed_all(r, "HTTP/1.1 304 Not Modified\r\nConnection: close\r\nContent-Length: 10\r\n\r\n"), State::kDone);
    EXPECT_FALSE(r.keep_alive());
}

TEST(ResponseReader, ATruncatedResponseIsAnError) {
    for (std::string_view text : {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", "HTTP/1.1 200 OK\r\n",
                                  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", ""}) {
        ResponseReader r;
        feed_all(r, text);
        EXPECT_EQ(r.finish(), State::kError) << text;
    }
}

TEST(ResponseReader, MalformedInputIsRefused) {
    for (std::string_view text : {
             "HTTP/2 200 OK\r\n\r\n",                                            // not HTTP/1.x
             "HTTP/1.1 20 OK\r\n\r\n",                                           // two digits
             "HTTP/1.1 200OK\r\n\r\n",                                           // no space after the code
             "HTTP/1.1 099 x\r\n\r\n",                                           // out of range
             "ICY 200 OK\r\n\r\n",
             "HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n",                    // not a number
             "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
             "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",  // over 64 bits
             "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",   // two lengths
             "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
             "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",                           // blank in the name
             "HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n",                       // obsolete folding
             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",      // bad chunk size
             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",   // too many digits
             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY",   // no CRLF after the data
             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n",
         }) {
        ResponseReader r;
        EXPECT_EQ(feed_all(r, text), State::kError) << text;
        EXPECT_FALSE(r.error().empty());
    }
}

TEST(ResponseReader, LimitsBoundHeaderBodyAndChunkLines) {
    ResponseReader::Limits limits;
    limits.max_header_bytes = 64;
    limits.max_body_bytes = 4;
    limits.max_skipped_body = 10;
    {
        ResponseReader r(limits);
        EXPECT_EQ(feed_all(r, "HTTP/1.1 200 OK\r\nX: " + std::string(100, 'a') + "\r\n\r\n"), State::kError);
    }
    {
        ResponseReader r(limits);
        EXPECT_EQ(feed_all(r, "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n12345678"), State::kDone);
        EXPECT_EQ(r.body(), "1234");   // kept up to the limit, the rest read and dropped
    }
    {
        ResponseReader r(limits);
        EXPECT_EQ(feed_all(r, "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n" + std::string(20, 'x')), State::kError);
    }
    {
        ResponseReader r(limits);
        EXPECT_EQ(feed_all(r, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + std::string(2000, 'e')),
                  State::kError);
    }
}

TEST(ResponseReader, ChunkedWinsOverLengthButTheConnectionIsNotReused) {
    ResponseReader r;
    EXPECT_EQ(feed_all(r, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"),
              State::kDone);
    EXPECT_EQ(r.body(), "ok");
    EXPECT_FALSE(r.keep_alive());
}

}  // namespace
}  // namespace ringpost::events
