// DKIM canonicalization against RFC 6376 3.4.5's example and the edge cases
// of 3.4.3/3.4.4 (empty bodies, trailing empty lines, a missing final CRLF).
#include <gtest/gtest.h>

#include <string>

#include "dkim/canonical.hpp"

namespace ringpost::dkim {
namespace {

std::string header(Canon c, std::string_view raw) {
    std::string out;
    canonical_header(c, raw, out);
    return out;
}

std::string body(Canon c, std::string_view raw) {
    std::string out;
    BodyCanonicalizer(c).run(raw, [&out](std::string_view piece) { out.append(piece); });
    return out;
}

TEST(DkimCanonical, Rfc6376ExampleRelaxed) {
    EXPECT_EQ(header(Canon::kRelaxed, "A: X\r\n"), "a:X\r\n");
    EXPECT_EQ(header(Canon::kRelaxed, "B : Y\t\r\n\tZ  \r\n"), "b:Y Z\r\n");
    EXPECT_EQ(body(Canon::kRelaxed, " C \r\nD \t E\r\n\r\n\r\n"), " C\r\nD E\r\n");
}

TEST(DkimCanonical, Rfc6376ExampleSimple) {
    EXPECT_EQ(header(Canon::kSimple, "B : Y\t\r\n\tZ  \r\n"), "B : Y\t\r\n\tZ  \r\n");
    EXPECT_EQ(body(Canon::kSimple, " C \r\nD \t E\r\n\r\n\r\n"), " C \r\nD \t E\r\n");
}

TEST(DkimCanonical, EmptyBodies) {
    EXPECT_EQ(body(Canon::kSimple, ""), "\r\n");
    EXPECT_EQ(body(Canon::kSimple, "\r\n\r\n"), "\r\n");
    EXPECT_EQ(body(Canon::kRelaxed, ""), "");
    EXPECT_EQ(body(Canon::kRelaxed, "\r\n \t\r\n"), "");
}

TEST(DkimCanonical, MissingFinalLineEndIsAdded) {
    EXPECT_EQ(body(Canon::kSimple, "last"), "last\r\n");
    EXPECT_EQ(body(Canon::kRelaxed, "last  "), "last\r\n");
}

TEST(DkimCanonical, EmptyLinesInsideTheBodyStay) {
    EXPECT_EQ(body(Canon::kRelaxed, "a\r\n\r\n\r\nb\r\n\r\n"), "a\r\n\r\n\r\nb\r\n");
    EXPECT_EQ(body(Canon::kSimple, "a\r\n  \r\nb\r\n"), "a\r\n  \r\nb\r\n");
}

TEST(DkimCanonical, BareLineFeedsAreLineEnds) {
    EXPECT_EQ(body(Canon::kSimple, "a\nb\n\n"), "a\r\nb\r\n");
    EXPECT_EQ(header(Canon::kSimple, "Subject: x\n y\n"), "Subject: x\r\n y\r\n");
    EXPECT_EQ(header(Canon::kRelaxed, "Subject: x\n y\n"), "subject:x y\r\n");
}

TEST(DkimCanonical, RelaxedHeaderKeepsEightBitAndCollapsesOnlyBlanks) {
    EXPECT_EQ(header(Canon::kRelaxed, "SUBJECT:\t Gr\xc3\xbc\xc3\x9f" "e  aus\t\tK\xc3\xb6ln \r\n"),
              "subject:Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln\r\n");
}

TEST(DkimCanonical, LongBodyIsHandedOnInPiecesThatAddUp) {
    std::string raw;
    for (int i = 0; i < 20000; ++i) raw += "line " + std::to_string(i) + "  \t \r\n";
    raw += "\r\n\r\n";
    size_t pieces = 0;
    std::string out;
    BodyCanonicalizer(Canon::kRelaxed).run(raw, [&](std::string_view p) {
        ++pieces;
        out.append(p);
    });
    EXPECT_GT(pieces, 1u);
    std::string expected;
    for (int i = 0; i < 20000; ++i) expected += "line " + std::to_string(i) + "\r\n";
    EXPECT_EQ(out, expected);
}

}  // namespace
}  // namespace ringpost::dkim
