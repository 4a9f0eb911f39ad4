// dsn_text: dates, sanitizing untrusted text, folding and wrapping.
#include <gtest/gtest.h>

#include <algorithm>

#include "delivery/dsn_text.hpp"
#include "dsn_test_util.hpp"

namespace ringpost::delivery::dsn_text {
namespace {

std::string date(int64_t t) {
    std::string s;
    append_date(s, t);
    return s;
}

std::vector<std::string> lines_of(const std::string& s) {
    std::vector<std::string> lines;
    size_t start = 0;
    for (size_t at; (at = s.find("\r\n", start)) != std::string::npos; start = at + 2) {
        lines.push_back(s.substr(start, at - start));
    }
    EXPECT_EQ(start, s.size()) << "text after the last CRLF";
    return lines;
}

TEST(DsnText, DateIsRfc5322InUtc) {
    EXPECT_EQ(date(0), "Thu, 1 Jan 1970 00:00:00 +0000");
    EXPECT_EQ(date(test::kReceived), "Tue, 24 Nov 2026 10:00:00 +0000");
    EXPECT_EQ(date(951782400), "Tue, 29 Feb 2000 00:00:00 +0000");   // leap day
    EXPECT_EQ(date(4102444799), "Thu, 31 Dec 2099 23:59:59 +0000");
}

TEST(DsnText, SanitizeJoinsLinesAndDropsControls) {
    EXPECT_EQ(sanitize("  550-first\r\n550 second\n\tthird\r  ", false), "550-first 550 second third");
    EXPECT_EQ(sanitize("a\x01" "b\x7F" "c", false), "a?b?c");
    EXPECT_EQ(sanitize("", false), "");
    EXPECT_EQ(sanitize("\r\n", false), "");
}

TEST(DsnText, SanitizeKeepsOnlyValidUtf8WhenAllowed) {
    EXPECT_EQ(sanitize("caf\xC3\xA9", false), "caf??");
    EXPECT_EQ(sanitize("caf\xC3\xA9", true), "caf\xC3\xA9");
    EXPECT_EQ(sanitize("\xF0\x9F\x93\xA7 mail", true), "\xF0\x9F\x93\xA7 mail");
    // Invalid: a lone continuation byte, an overlong '/', a surrogate, a truncated sequence.
    EXPECT_EQ(sanitize("a\x80" "b", true), "a?b");
    EXPECT_EQ(sanitize("\xC0\xAF", true), "??");
    EXPECT_EQ(sanitize("\xED\xA0\x80", true), "???");
    EXPECT_EQ(sanitize("x\xE2\x82", true), "x??");
}

TEST(DsnText, ShortFieldIsOneLine) {
    std::string out;
    append_field(out, "Action", "failed");
    EXPECT_EQ(out, "Action: failed\r\n");
}

TEST(DsnText, LongFieldFoldsAtBlanksWithin78Columns) {
    std::string value = "smtp; 550 5.1.1";
    for (int i = 0; i < 30; ++i) value += " word" + std::to_string(i);
    std::string out;
    append_field(out, "Diagnostic-Code", value);
    const auto lines = lines_of(out);
    ASSERT_GT(lines.size(), 1u);
    std::string unfolded;
    for (size_t i = 0; i < lines.size(); ++i) {
        EXPECT_LE(lines[i].size(), kFoldWidth) << lines[i];
        if (i > 0) {
            EXPECT_EQ(lines[i][0], ' ') << "a continuation line starts with a blank";
        }
        unfolded += lines[i];
    }
    // Unfolding (RFC 5322 2.2.3: remove the CRLFs) restores the value.
    EXPECT_EQ(unfolded, "Diagnostic-Code: " + value);
}

TEST(DsnText, OverlongWordIsSplitBelowTheHardLimit) {
    const std::string word(2500, 'z');
    std::string out;
    append_field(out, "Diagnostic-Code", "smtp; " + word);
    const auto lines = lines_of(out);
    size_t zs = 0;
    for (const auto& l : lines) {
        EXPECT_LE(l.size(), kHardLineLimit);
        zs += static_cast<size_t>(std::count(l.begin(), l.end(), 'z'));
    }
    EXPECT_EQ(zs, word.size()) << "nothing of the word is lost";
    EXPECT_EQ(lines[0], "Diagnostic-Code: smtp;");   // the word starts on its own line
}

TEST(DsnText, SplitNeverCutsAUtf8Sequence) {
    std::string word;
    for (int i = 0; i < 700; ++i) word += "\xC3\xA9";   // 1400 bytes of 'é'
    std::string out;
    append_wrapped(out, word, 78, "    ");
    for (const auto& l : lines_of(out)) {
        EXPECT_LE(l.size(), kHardLineLimit);
        EXPECT_EQ(sanitize(l, true), l.substr(l.find_first_not_of(' '))) << "line is valid UTF-8";
    }
}

TEST(DsnText, WrappedProseUsesTheIndentForContinuations) {
    std::string out;
    append_wrapped(out, "<bob@example.org>: host mx.example.org said: 550 5.1.1 the mailbox does not exist here",
                   40, "    ");
    EXPECT_EQ(out,
              "<bob@example.org>: host mx.example.org\r\n"
              "    said: 550 5.1.1 the mailbox does not\r\n"
              "    exist here\r\n");
}

TEST(DsnText, StatusCodes) {
    EXPECT_TRUE(is_status_code("5.1.1"));
    EXPECT_TRUE(is_status_code("4.4.7"));
    EXPECT_TRUE(is_status_code("2.0.0"));
    EXPECT_TRUE(is_status_code("5.123.999"));
    EXPECT_FALSE(is_status_code(""));
    EXPECT_FALSE(is_status_code("3.1.1"));
    EXPECT_FALSE(is_status_code("5.1"));
    EXPECT_FALSE(is_status_code("5.1.1 "));
    EXPECT_FALSE(is_status_code("5.1234.1"));
    EXPECT_FALSE(is_status_code("5..1"));
    EXPECT_FALSE(is_status_code("550"));
}

TEST(DsnText, IsAscii) {
    EXPECT_TRUE(is_ascii("plain text\r\n"));
    EXPECT_FALSE(is_ascii("caf\xC3\xA9"));
}

}  // namespace
}  // namespace ringpost::delivery::dsn_text
