// Tests for mailbox names (src/imap/mailbox_name.hpp): modified UTF-7 both
// ways, its strictness, and INBOX.
#include "imap/mailbox_name.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace ringpost::imap;

namespace {

std::string decode(std::string_view s) {
    auto r = decode_mutf7(s);
    EXPECT_TRUE(r.ok()) << s << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? r.value() : std::string();
}

}  // namespace

TEST(MailboxName, RoundTrips) {
    struct Case {
        const char* wire;
        const char* utf8;
    } cases[] = {
        {"INBOX", "INBOX"},
        {"&-", "&"},
        {"A&-B", "A&B"},
        {"&ZeVnLIqe-", "日本語"},
        {"Entw&APw-rfe", "Entwürfe"},
        {"Gel&APY-schte Elemente", "Gelöschte Elemente"},
        {"&BBoEPgRABDcEOAQ9BDA-", "Корзина"},
        {"~peter/mail/&U,BTFw-/&ZeVnLIqe-", "~peter/mail/台北/日本語"},
        {"&2D3eAA-", "😀"},
        {"a&2D3eANg93gA-b", "a😀😀b"},
        {"&AOk-t&AOk-", "été"},
        {"", ""},
        {"&AAkACg-", "\t\n"},
    };
    for (const Case& c : cases) {
        if (std::string_view(c.utf8).find_first_of("\t\n") == std::string_view::npos) {
            EXPECT_EQ(decode(c.wire), c.utf8) << c.wire;
        }
        EXPECT_EQ(encode_mutf7(c.utf8), c.wire) << c.utf8;
    }
}

TEST(MailboxName, DecodingIsStrict) {
    const char* bad[] = {
        "&",            // unterminated
        "&ZeVnLIqe",    // unterminated
        "&ZeV!-",       // bad base64 character
        "&ZeV/-",       // "/" is "," in modified base64
        "&AGE-",        // encoded printable ASCII ("a")
        "&ACY-",        // encoded "&"
        "&ZeU-&Zyw-",   // split shifted run
        "&AOl-",        // non-zero padding bits
        "&ZeVnLA=-",    // padding
        "&2D0-",        // lone high surrogate
        "&3gA-",        // lone low surrogate
        "&2D3YPQ-",     // high surrogate followed by high surrogate
        "\xc3\xa9",     // raw 8-bit
        "tab\there",    // control character
        "&AAA-",        // encoded NUL
        "&A-",          // fewer than 16 bits
    };
    for (const char* s : bad) EXPECT_FALSE(decode_mutf7(s).ok()) << s;
}

TEST(MailboxName, EncoderReplacesInvalidUtf8) {
    EXPECT_EQ(encode_mutf7("a\xff" "b"), "a&,,0-b");
    EXPECT_EQ(decode("a&,,0-b"), "a\xef\xbf\xbd" "b");
    EXPECT_EQ(encode_mutf7("\xc0\x80"), "&,,3,,Q-");   // overlong NUL: two replacement characters
}

TEST(MailboxName, RandomRoundTrip) {
    std::mt19937 rng(1234);
    std::uniform_int_distribution<uint32_t> pick(0, 6);
    for (int i = 0; i < 2000; ++i) {
        std::string utf8;
        int len = static_cast<int>(rng() % 12);
        for (int k = 0; k < len; ++k) {
            uint32_t cp;
            switch (pick(rng)) {
            case 0: cp = '&'; break;
            case 1: cp = 0x20 + rng() % 0x5f; break;
            case 2: cp = 0xa0 + rng() % 0x700; break;
            case 3: cp = 0x3000 + rng() % 0x5000; break;
            case 4: cp = 0x10000 + rng() % 0x100000; break;
            case 5: cp = 0xe000 + rng() % 0x1000; break;
            default: cp = 'a' + rng() % 26; break;
            }
            if (cp < 0x80) {
                utf8 += static_cast<char>(cp);
            } else if (cp < 0x800) {
                utf8 += static_cast<char>(0xc0 | (cp >> 6));
                utf8 += static_cast<char>(0x80 | (cp & 0x3f));
            } else if (cp < 0x10000) {
                utf8 += static_cast<char>(0xe0 | (cp >> 12));
                utf8 += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
                utf8 += static_cast<char>(0x80 | (cp & 0x3f));
            } else {
                utf8 += static_cast<char>(0xf0 | (cp >> 18));
                utf8 += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
                utf8 += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
                utf8 += static_cast<char>(0x80 | (cp & 0x3f));
            }
        }
        ASSERT_TRUE(is_valid_utf8(utf8));
        std::string wire = encode_mutf7(utf8);
        for (char c : wire) ASSERT_TRUE(c >= 0x20 && c <= 0x7e) << wire;
        auto back = decode_mutf7(wire);
        ASSERT_TRUE(back.ok()) << wire << ": " << back.error().message;
        EXPECT_EQ(back.value(), utf8) << wire;
    }
}

TEST(MailboxName, Utf8Validation) {
    EXPECT_TRUE(is_valid_utf8("日本語 😀 é"));
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_FALSE(is_valid_utf8("\xff"));
    EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));           // overlong
    EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));       // surrogate
    EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));   // past U+10FFFF
    EXPECT_FALSE(is_valid_utf8("\xe6\x97"));           // truncated
}

TEST(MailboxName, Inbox) {
    EXPECT_TRUE(is_inbox("INBOX"));
    EXPECT_TRUE(is_inbox("inbox"));
    EXPECT_TRUE(is_inbox("InBoX"));
    EXPECT_FALSE(is_inbox("INBOX/Sub"));
    EXPECT_FALSE(is_inbox("INBOXES"));
    EXPECT_FALSE(is_inbox("IN BOX"));
    std::string name = "Inbox";
    normalize_inbox(name);
    EXPECT_EQ(name, "INBOX");
    name = "inbox.sub";
    normalize_inbox(name);
    EXPECT_EQ(name, "inbox.sub");
}
