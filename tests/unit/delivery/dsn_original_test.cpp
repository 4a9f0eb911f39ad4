// select_returned_original: whole message or header block, and the cap.
#include <gtest/gtest.h>

#include "delivery/dsn_original.hpp"
#include "dsn_test_util.hpp"

namespace ringpost::delivery {
namespace {

using mail::BodyType;
using test::kOriginal;

const std::string kHeaders = kOriginal.substr(0, kOriginal.find("\r\n\r\n") + 2);

TEST(DsnOriginal, FullWhenWantedAndSmallEnough) {
    const auto r = select_returned_original(kOriginal, true, 50000, BodyType::k7Bit);
    EXPECT_TRUE(r.full);
    EXPECT_FALSE(r.over_size);
    EXPECT_EQ(r.bytes, kOriginal);
}

TEST(DsnOriginal, HeadersWhenNotWanted) {
    const auto r = select_returned_original(kOriginal, false, 50000, BodyType::k7Bit);
    EXPECT_FALSE(r.full);
    EXPECT_FALSE(r.over_size);
    EXPECT_EQ(r.bytes, kHeaders);
}

TEST(DsnOriginal, OverTheCapFallsBackToHeaders) {
    const auto r = select_returned_original(kOriginal, true, kOriginal.size() - 1, BodyType::k7Bit);
    EXPECT_FALSE(r.full);
    EXPECT_TRUE(r.over_size);
    EXPECT_EQ(r.bytes, kHeaders);
}

TEST(DsnOriginal, CapCountsTheCrlfsAddedToBareLineFeeds) {
    const std::string lf = "Subject: x\n\nbody\n";   // 17 bytes; 20 once CRLF
    EXPECT_TRUE(select_returned_original(lf, true, 20, BodyType::k7Bit).full);
    const auto r = select_returned_original(lf, true, 19, BodyType::k7Bit);
    EXPECT_FALSE(r.full);
    EXPECT_TRUE(r.over_size);
    EXPECT_EQ(r.bytes, "Subject: x\r\n");
}

TEST(DsnOriginal, HeaderBlockIsCutAtAFieldBoundary) {
    // The Received: field has three lines; a cap inside it keeps nothing of
    // it, a cap inside From: keeps exactly Received:.
    const size_t received_end = kOriginal.find("From:");
    auto r = select_returned_original(kOriginal, false, received_end - 1, BodyType::k7Bit);
    EXPECT_EQ(r.bytes, "");
    r = select_returned_original(kOriginal, false, received_end + 5, BodyType::k7Bit);
    EXPECT_EQ(r.bytes, kOriginal.substr(0, received_end));
}

TEST(DsnOriginal, BinaryMimeIsNeverReturnedWhole) {
    const auto r = select_returned_original(kOriginal, true, 50000, BodyType::kBinaryMime);
    EXPECT_FALSE(r.full);
    EXPECT_FALSE(r.over_size);
    EXPECT_EQ(r.bytes, kHeaders);
}

TEST(DsnOriginal, OverlongLineOrNulMeansHeadersOnly) {
    const std::string long_line = "Subject: x\r\n\r\n" + std::string(999, 'a') + "\r\n";
    auto r = select_returned_original(long_line, true, 50000, BodyType::k8BitMime);
    EXPECT_FALSE(r.full);
    EXPECT_EQ(r.bytes, "Subject: x\r\n");

    const std::string nul = std::string("Subject: x\r\n\r\na\0b\r\n", 19);
    r = select_returned_original(nul, true, 50000, BodyType::k8BitMime);
    EXPECT_FALSE(r.full);
    EXPECT_EQ(r.bytes, "Subject: x\r\n");

    const std::string ok_line = "Subject: x\r\n\r\n" + std::string(998, 'a') + "\r\n";
    EXPECT_TRUE(select_returned_original(ok_line, true, 50000, BodyType::k8BitMime).full);
}

TEST(DsnOriginal, HeaderBlockEndsWhereTheBodyBegins) {
    // No empty line: the first line that is not a field starts the body.
    const std::string msg = "Subject: x\r\nX-A: 1\r\n continued\r\nnot a header line\r\nMore: no\r\n";
    const auto r = select_returned_original(msg, false, 50000, BodyType::k7Bit);
    EXPECT_EQ(r.bytes, "Subject: x\r\nX-A: 1\r\n continued\r\n");
}

TEST(DsnOriginal, MissingFinalLineBreakIsAdded) {
    const auto r = select_returned_original("Subject: x\r\n\r\nlast", true, 50000, BodyType::k7Bit);
    EXPECT_TRUE(r.full);
    EXPECT_EQ(r.bytes, "Subject: x\r\n\r\nlast\r\n");
}

}  // namespace
}  // namespace ringpost::delivery
