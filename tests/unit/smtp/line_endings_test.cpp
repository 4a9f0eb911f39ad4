// crlf_bare_lf (src/smtp/line_endings.hpp): every LF without a CR before it
// becomes CRLF, in place, starting at an offset; checked against a plain
// copying definition on fixed and random inputs.
#include "smtp/line_endings.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace ringpost::smtp {
namespace {

std::string reference(const std::string& in, size_t from) {
    std::string out = in.substr(0, from);
    for (size_t i = from; i < in.size(); ++i) {
        if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r')) out += '\r';
        out += in[i];
    }
    return out;
}

TEST(CrlfBareLf, FixedCases) {
    struct Case {
        std::string in, out;
        size_t count;
    } cases[] = {
        {"", "", 0},
        {"\n", "\r\n", 1},
        {"\r\n", "\r\n", 0},
        {"\r", "\r", 0},
        {"a\nb\r\nc\n", "a\r\nb\r\nc\r\n", 2},
        {"\n\n\n", "\r\n\r\n\r\n", 3},
        {"\r\r\n\n\r", "\r\r\n\r\n\r", 1},
        {"no line ends", "no line ends", 0},
    };
    for (auto& c : cases) {
        std::string s = c.in;
        EXPECT_EQ(crlf_bare_lf(s), c.count) << c.in;
        EXPECT_EQ(s, c.out) << c.in;
    }
}

TEST(CrlfBareLf, StartsAtTheOffsetAndLooksBackOneByte) {
    std::string s = "x\n\r\ny\n";
    EXPECT_EQ(crlf_bare_lf(s, 2), 1u);   // the first LF is before the offset
    EXPECT_EQ(s, "x\n\r\ny\r\n");
    std::string t = "ab\r\nc";
    EXPECT_EQ(crlf_bare_lf(t, 3), 0u);   // the LF at the offset has its CR before it
    EXPECT_EQ(t, "ab\r\nc");
}

TEST(CrlfBareLf, AgreesWithTheCopyingDefinition) {
    std::mt19937 rng(20261207);
    const char alphabet[] = {'\r', '\n', 'a', '.'};
    for (int round = 0; round < 5000; ++round) {
        std::string in(rng() % 40, ' ');
        for (char& c : in) c = alphabet[rng() % 4];
        const size_t from = in.empty() ? 0 : rng() % (in.size() + 1);
        std::string s = in;
        const std::string want = reference(in, from);
        EXPECT_EQ(crlf_bare_lf(s, from), want.size() - in.size());
        ASSERT_EQ(s, want) << "input of " << in.size() << " bytes from " << from;
    }
}

}  // namespace
}  // namespace ringpost::smtp
