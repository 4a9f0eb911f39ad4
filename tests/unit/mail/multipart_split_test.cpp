// Boundary delimiter lines (RFC 2046 5.1.1), src/mail/multipart_split.hpp.
#include "mail/multipart_split.hpp"

#include <gtest/gtest.h>

#include "test_util.hpp"

using namespace ringpost::mail;
using ringpost::mail::test::crlf;

namespace {

std::vector<std::string> split(std::string_view body, std::string_view boundary, size_t max_parts = 100) {
    std::vector<std::string> out;
    for (ByteRange r : split_multipart(body, 0, body.size(), boundary, max_parts))
        out.emplace_back(body.substr(r.begin, r.end - r.begin));
    return out;
}

using Parts = std::vector<std::string>;

}  // namespace

TEST(MultipartSplit, PreambleAndEpilogueAreNoParts) {
    std::string body = crlf("preamble\n--b\nA: 1\n\none\n--b\n\ntwo\n--b--\nepilogue\n--b\n\nthree\n");
    EXPECT_EQ(split(body, "b"), (Parts{crlf("A: 1\n\none"), crlf("\ntwo")}));
}

TEST(MultipartSplit, FirstDelimiterAtTheVeryStart) {
    EXPECT_EQ(split(crlf("--b\n\nx\n--b--"), "b"), (Parts{crlf("\nx")}));
}

TEST(MultipartSplit, TheLineEndBeforeADelimiterBelongsToIt) {
    EXPECT_EQ(split(crlf("--b\n\nx\n\n--b--\n"), "b"), (Parts{crlf("\nx\n")}));
    EXPECT_EQ(split("--b\n\nx\n--b--\n", "b"), (Parts{"\nx"}));   // bare LF
    EXPECT_EQ(split(crlf("--b\n--b\n--b--\n"), "b"), (Parts{"", ""}));   // empty parts
}

TEST(MultipartSplit, TrailingBlanksAfterTheBoundary) {
    EXPECT_EQ(split(crlf("--b \t\n\nx\n--b-- \n"), "b"), (Parts{crlf("\nx")}));
}

TEST(MultipartSplit, LongerLinesAreBodyText) {
    std::string body = crlf("--b\n\n--bb\n--b-\n--b--x\n-- b\n--b\n\ny\n--b--");
    EXPECT_EQ(split(body, "b"), (Parts{crlf("\n--bb\n--b-\n--b--x\n-- b"), crlf("\ny")}));
}

TEST(MultipartSplit, BoundaryOnlyAtTheStartOfALine) {
    EXPECT_EQ(split(crlf("--b\n\nsee --b here\n--b--"), "b"), (Parts{crlf("\nsee --b here")}));
}

TEST(MultipartSplit, MissingCloseDelimiterRunsToTheEnd) {
    EXPECT_EQ(split(crlf("--b\n\none\n--b\n\ntwo\n"), "b"), (Parts{crlf("\none"), crlf("\ntwo\n")}));
    EXPECT_EQ(split("--b", "b"), (Parts{""}));
}

TEST(MultipartSplit, NoDelimiterNoParts) {
    EXPECT_TRUE(split(crlf("just text\n"), "b").empty());
    EXPECT_TRUE(split("", "b").empty());
    EXPECT_TRUE(split(crlf("--\n\nx\n"), "").empty());   // an empty boundary matches nothing
}

TEST(MultipartSplit, PartLimit) {
    EXPECT_EQ(split(crlf("--b\n\n1\n--b\n\n2\n--b\n\n3\n--b--"), "b", 2), (Parts{crlf("\n1"), crlf("\n2")}));
    EXPECT_TRUE(split(crlf("--b\n\n1\n--b--"), "b", 0).empty());
}

TEST(MultipartSplit, OnlyTheGivenRange) {
    std::string data = crlf("--b\n\nin\n--b\n\nout\n");
    std::vector<ByteRange> r = split_multipart(data, 0, 11, "b", 10);   // up to "in\r\n"
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(data.substr(r[0].begin, r[0].end - r[0].begin), crlf("\nin\n"));
}
