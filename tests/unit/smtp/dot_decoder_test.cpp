// Tests for the streaming DATA decoder (src/smtp/dot_decoder.hpp). The core
// property: the result is the same whatever the chunking, so every input is
// fed whole, split at every offset, split at every pair of offsets, and one
// byte at a time.
#include "smtp/dot_decoder.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace ringpost::smtp;

namespace {

struct Outcome {
    std::string body;
    size_t consumed = 0;   // total input bytes used up to the end marker
    bool done = false;
    uint64_t bytes = 0;
    uint64_t longest = 0;
    bool overflow = false;
    bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
    return os << "{body=" << testing::PrintToString(o.body) << " consumed=" << o.consumed << " done=" << o.done
              << " bytes=" << o.bytes << " longest=" << o.longest << " overflow=" << o.overflow << "}";
}

// Feeds `input` cut at `cuts` (sorted offsets); stops at the end marker.
Outcome decode(std::string_view input, const std::vector<size_t>& cuts, uint64_t limit = UINT64_MAX) {
    DotDecoder d;
    d.reset(limit);
    Outcome o;
    size_t start = 0;
    std::vector<size_t> bounds = cuts;
    bounds.push_back(input.size());
    for (size_t b : bounds) {
        if (b < start) continue;
        DotDecoder::Result r = d.feed(input.substr(start, b - start), o.body);
        o.consumed += r.consumed;
        if (r.done) {
            o.done = true;
            break;
        }
        EXPECT_EQ(r.consumed, b - start) << "a chunk must be used up unless the end was found";
        start = b;
    }
    o.bytes = d.bytes();
    o.longest = d.longest_line();
    o.overflow = d.overflowed();
    return o;
}

// Checks that every way of splitting the input gives the same outcome.
void check_all_splits(std::string_view input, const Outcome& expected) {
    EXPECT_EQ(decode(input, {}), expected) << "whole";
    for (size_t i = 0; i <= input.size(); ++i) EXPECT_EQ(decode(input, {i}), expected) << "split at " << i;
    for (size_t i = 0; i <= input.size(); ++i)
        for (size_t j = i; j <= input.size(); ++j)
            EXPECT_EQ(decode(input, {i, j}), expected) << "split at " << i << "," << j;
    std::vector<size_t> every;
    for (size_t i = 1; i < input.size(); ++i) every.push_back(i);
    EXPECT_EQ(decode(input, every), expected) << "byte at a time";
}

Outcome done(std::string body, size_t consumed, uint64_t longest) {
    Outcome o;
    o.bytes = body.size();
    o.body = std::move(body);
    o.consumed = consumed;
    o.done = true;
    o.longest = longest;
    return o;
}

}  // namespace

TEST(DotDecoder, EndMarkerOnly) {
    // An empty message: the very first line is ".".
    check_all_splits(".\r\n", done("", 3, 0));
    // ".<LF>" is not the end marker (smuggling); it is a data line ".".
    check_all_splits(".\nx\r\n.\r\n", done(".\r\nx\r\n", 8, 1));
}

TEST(DotDecoder, SimpleMessage) {
    std::string in = "Subject: hi\r\n\r\nbody line\r\n.\r\n";
    check_all_splits(in, done("Subject: hi\r\n\r\nbody line\r\n", in.size(), 11));
}

TEST(DotDecoder, CrLfDotCrLfAtEveryOffset) {
    // The end marker after some content, with trailing pipelined input that
    // must not be consumed.
    std::string in = "a\r\n.\r\nQUIT\r\n";
    check_all_splits(in, done("a\r\n", 6, 1));
}

TEST(DotDecoder, DotUnstuffing) {
    std::string in = "..\r\n..leading\r\n.x\r\nmid.dle\r\n...\r\n.\r\n";
    check_all_splits(in, done(".\r\n.leading\r\nx\r\nmid.dle\r\n..\r\n", in.size(), 8));
}

TEST(DotDecoder, BareLfLinesAreNormalised) {
    std::string in = "a\nb\r\n\nc\r\n.\r\n";
    check_all_splits(in, done("a\r\nb\r\n\r\nc\r\n", in.size(), 1));
}

TEST(DotDecoder, OnlyCrLfDotCrLfEndsTheData) {
    // SMTP smuggling: "." lines next to a bare LF are data, kept with their dot.
    std::string in = "x\n.\nMAIL\r\n.\r\n";
    check_all_splits(in, done("x\r\n.\r\nMAIL\r\n", in.size(), 4));
    in = "x\n.\r\nMAIL\r\n.\r\n";
    check_all_splits(in, done("x\r\n.\r\nMAIL\r\n", in.size(), 4));
    in = "x\r\n.\nMAIL\r\n.\r\n";
    check_all_splits(in, done("x\r\n.\r\nMAIL\r\n", in.size(), 4));
    // A bare-LF line followed by a proper CRLF line: the next "." ends it.
    in = "x\ny\r\n.\r\n";
    check_all_splits(in, done("x\r\ny\r\n", in.size(), 1));
}

TEST(DotDecoder, BareCrIsData) {
    std::string in = "a\rb\r\n\r\r\n.\rz\r\n.\r\n";
    // "\r\r\n": a bare CR then CRLF; ".\rz": stuffed line starting with CR.
    check_all_splits(in, done("a\rb\r\n\r\r\n\rz\r\n", in.size(), 3));
}

TEST(DotDecoder, DotLinesThatAreNotTheEnd) {
    // ". " and ".\r." are ordinary (stuffed) lines.
    std::string in = ". \r\n.\r.\r\n.\r\n";
    check_all_splits(in, done(" \r\n\r.\r\n", in.size(), 2));
}

TEST(DotDecoder, NoEndYet) {
    Outcome o = decode("line\r\n.\r", {});
    EXPECT_FALSE(o.done);
    EXPECT_EQ(o.consumed, 8u);
    EXPECT_EQ(o.body, "line\r\n");
    // A CR held back at a chunk end is released when it turns out to be data.
    DotDecoder d;
    d.reset();
    std::string out;
    EXPECT_FALSE(d.feed("ab\r", out).done);
    EXPECT_EQ(out, "ab");
    EXPECT_FALSE(d.feed("c", out).done);
    EXPECT_EQ(out, "ab\rc");
}

TEST(DotDecoder, LongestLineAcrossChunks) {
    std::string in = std::string(100, 'x') + "\r\n" + std::string(300, 'y') + "\n.." + std::string(50, 'z') + "\r\n.\r\n";
    Outcome whole = decode(in, {});
    EXPECT_TRUE(whole.done);
    EXPECT_EQ(whole.longest, 300u);
    for (size_t step : {1u, 7u, 64u, 101u}) {
        std::vector<size_t> cuts;
        for (size_t i = step; i < in.size(); i += step) cuts.push_back(i);
        EXPECT_EQ(decode(in, cuts), whole) << "step " << step;
    }
}

TEST(DotDecoder, SizeLimitCountsButStopsStoring) {
    std::string line(98, 'x');
    std::string in;
    for (int i = 0; i < 100; ++i) in += line + "\r\n";   // 10000 bytes
    in += ".\r\n";
    Outcome o = decode(in, {}, 1000);
    EXPECT_TRUE(o.done);
    EXPECT_TRUE(o.overflow);
    EXPECT_EQ(o.bytes, 10000u);
    EXPECT_LE(o.body.size(), 1000u);
    EXPECT_EQ(o.consumed, in.size());
    // Same in small chunks: memory stays bounded by the limit.
    std::vector<size_t> cuts;
    for (size_t i = 13; i < in.size(); i += 13) cuts.push_back(i);
    Outcome c = decode(in, cuts, 1000);
    EXPECT_TRUE(c.overflow);
    EXPECT_EQ(c.bytes, 10000u);
    EXPECT_LE(c.body.size(), 1000u);
    // Exactly at the limit is fine.
    Outcome exact = decode(in, {}, 10000);
    EXPECT_FALSE(exact.overflow);
    EXPECT_EQ(exact.body.size(), 10000u);
}

TEST(DotDecoder, ResetStartsOver) {
    DotDecoder d;
    d.reset(10);
    std::string out;
    d.feed("0123456789abc\r\n", out);
    EXPECT_TRUE(d.overflowed());
    d.reset();
    out.clear();
    DotDecoder::Result r = d.feed(".\r\n", out);
    EXPECT_TRUE(r.done);
    EXPECT_FALSE(d.overflowed());
    EXPECT_EQ(d.bytes(), 0u);
}
