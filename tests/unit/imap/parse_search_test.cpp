// Tests for SEARCH parsing (src/imap/parse_search.cpp): every key, the
// normalised flag keys, trees of NOT/OR/groups, CHARSET, and the bounds.
#include <gtest/gtest.h>

#include "imap/parser.hpp"
#include "imap_test_util.hpp"

using namespace ringpost::imap;

namespace {

SearchArgs search(std::string_view line) {
    ParseResult r = parse_command(line);
    EXPECT_TRUE(r.ok()) << line << " -> " << r.error;
    if (!r.ok()) return {};
    EXPECT_EQ(r.command.type, CommandType::kSearch);
    return r.command.get<SearchArgs>();
}

// The tree as a compact s-expression, to compare shapes.
std::string show(const SearchKey& k) {
    auto kids = [&] {
        std::string s;
        for (const SearchKey& c : k.children) s += " " + show(c);
        return s;
    };
    switch (k.kind) {
    case SearchKind::kAll: return "ALL";
    case SearchKind::kAnd: return "(AND" + kids() + ")";
    case SearchKind::kOr: return "(OR" + kids() + ")";
    case SearchKind::kNot: return "(NOT" + kids() + ")";
    case SearchKind::kSequence: return "SEQ:" + k.set.to_string();
    case SearchKind::kUid: return "UID:" + k.set.to_string();
    case SearchKind::kFlag: return "FLAG:" + k.value;
    case SearchKind::kFrom: return "FROM:" + k.value;
    case SearchKind::kTo: return "TO:" + k.value;
    case SearchKind::kCc: return "CC:" + k.value;
    case SearchKind::kBcc: return "BCC:" + k.value;
    case SearchKind::kSubject: return "SUBJECT:" + k.value;
    case SearchKind::kBody: return "BODY:" + k.value;
    case SearchKind::kText: return "TEXT:" + k.value;
    case SearchKind::kHeader: return "HEADER:" + k.field + "=" + k.value;
    case SearchKind::kSince: return "SINCE:" + std::to_string(k.date.days());
    case SearchKind::kBefore: return "BEFORE:" + std::to_string(k.date.days());
    case SearchKind::kOn: return "ON:" + std::to_string(k.date.days());
    case SearchKind::kSentSince: return "SENTSINCE:" + std::to_string(k.date.days());
    case SearchKind::kSentBefore: return "SENTBEFORE:" + std::to_string(k.date.days());
    case SearchKind::kSentOn: return "SENTON:" + std::to_string(k.date.days());
    case SearchKind::kLarger: return "LARGER:" + std::to_string(k.number);
    case SearchKind::kSmaller: return "SMALLER:" + std::to_string(k.number);
    }
    return "?";
}

std::string tree(std::string_view line) { return show(search(line).key); }

}  // namespace

TEST(ParseSearch, SingleKeys) {
    EXPECT_EQ(tree("JIKM4 SEARCH ALL"), "ALL");
    EXPECT_EQ(tree("a SEARCH 1:5,7"), "SEQ:1:5,7");
    EXPECT_EQ(tree("a SEARCH *"), "SEQ:*");
    EXPECT_EQ(tree("a SEARCH UID 100:*"), "UID:100:*");
    EXPECT_EQ(tree("a SEARCH SEEN"), "FLAG:\\Seen");
    EXPECT_EQ(tree("a SEARCH unseen"), "(NOT FLAG:\\Seen)");
    EXPECT_EQ(tree("a SEARCH FLAGGED"), "FLAG:\\Flagged");
    EXPECT_EQ(tree("a SEARCH UNFLAGGED"), "(NOT FLAG:\\Flagged)");
    EXPECT_EQ(tree("a SEARCH DELETED"), "FLAG:\\Deleted");
    EXPECT_EQ(tree("a SEARCH UNDELETED"), "(NOT FLAG:\\Deleted)");
    EXPECT_EQ(tree("a SEARCH ANSWERED"), "FLAG:\\Answered");
    EXPECT_EQ(tree("a SEARCH UNANSWERED"), "(NOT FLAG:\\Answered)");
    EXPECT_EQ(tree("a SEARCH DRAFT"), "FLAG:\\Draft");
    EXPECT_EQ(tree("a SEARCH UNDRAFT"), "(NOT FLAG:\\Draft)");
    EXPECT_EQ(tree("a SEARCH RECENT"), "FLAG:\\Recent");
    EXPECT_EQ(tree("A005 SEARCH NEW"), "(AND FLAG:\\Recent (NOT FLAG:\\Seen))");
    EXPECT_EQ(tree("a SEARCH OLD"), "(NOT FLAG:\\Recent)");
    EXPECT_EQ(tree("a SEARCH KEYWORD $Forwarded"), "FLAG:$Forwarded");
    EXPECT_EQ(tree("a SEARCH UNKEYWORD $Junk"), "(NOT FLAG:$Junk)");
    EXPECT_EQ(tree("a SEARCH FROM \"alice@example.com\""), "FROM:alice@example.com");
    EXPECT_EQ(tree("a SEARCH TO bob"), "TO:bob");
    EXPECT_EQ(tree("a SEARCH CC carol"), "CC:carol");
    EXPECT_EQ(tree("a SEARCH BCC dave"), "BCC:dave");
    EXPECT_EQ(tree("a SEARCH SUBJECT \"hello world\""), "SUBJECT:hello world");
    EXPECT_EQ(tree("a SEARCH BODY needle"), "BODY:needle");
    EXPECT_EQ(tree("a SEARCH TEXT \"\""), "TEXT:");
    EXPECT_EQ(tree("a SEARCH HEADER Message-ID \"<abc@example.com>\""), "HEADER:Message-ID=<abc@example.com>");
    EXPECT_EQ(tree("a SEARCH HEADER X-Spam \"\""), "HEADER:X-Spam=");
    EXPECT_EQ(tree("a SEARCH SINCE 1-Feb-1994"), "SINCE:" + std::to_string(Date{1994, 2, 1}.days()));
    EXPECT_EQ(tree("a SEARCH BEFORE \"01-Feb-1994\""), "BEFORE:" + std::to_string(Date{1994, 2, 1}.days()));
    EXPECT_EQ(tree("a SEARCH ON 29-feb-2024"), "ON:" + std::to_string(Date{2024, 2, 29}.days()));
    EXPECT_EQ(tree("a SEARCH SENTSINCE 1-Jan-2000"), "SENTSINCE:" + std::to_string(Date{2000, 1, 1}.days()));
    EXPECT_EQ(tree("a SEARCH SENTBEFORE 1-Jan-2000"), "SENTBEFORE:" + std::to_string(Date{2000, 1, 1}.days()));
    EXPECT_EQ(tree("a SEARCH SENTON 1-Jan-2000"), "SENTON:" + std::to_string(Date{2000, 1, 1}.days()));
    EXPECT_EQ(tree("a SEARCH LARGER 10000"), "LARGER:10000");
    EXPECT_EQ(tree("a SEARCH SMALLER 9223372036854775807"), "SMALLER:9223372036854775807");
}

TEST(ParseSearch, TreesAsClientsSendThem) {
    // Thunderbird's quick filter.
    EXPECT_EQ(tree("12 UID SEARCH UNDELETED SUBJECT \"report\""),
              "(AND (NOT FLAG:\\Deleted) SUBJECT:report)");
    // mutt's ~f | ~s.
    EXPECT_EQ(tree("a0011 UID SEARCH OR FROM \"x\" SUBJECT \"x\""), "(OR FROM:x SUBJECT:x)");
    // Nested ORs and groups.
    EXPECT_EQ(tree("a SEARCH OR (FROM a TO b) NOT (SEEN FLAGGED)"),
              "(OR (AND FROM:a TO:b) (NOT (AND FLAG:\\Seen FLAG:\\Flagged)))");
    EXPECT_EQ(tree("a SEARCH OR OR FROM a FROM b FROM c"), "(OR (OR FROM:a FROM:b) FROM:c)");
    EXPECT_EQ(tree("a SEARCH (UNSEEN)"), "(NOT FLAG:\\Seen)");   // a one-key group is the key
    EXPECT_EQ(tree("a SEARCH NOT NOT DELETED"), "(NOT (NOT FLAG:\\Deleted))");
    EXPECT_EQ(tree("a SEARCH 1:100 UID 5:* SINCE 1-Jan-2024 NOT DELETED"),
              "(AND SEQ:1:100 UID:5:* SINCE:" + std::to_string(Date{2024, 1, 1}.days()) + " (NOT FLAG:\\Deleted))");
    EXPECT_EQ(tree("a search ( from x ( to y ) )"), "(AND FROM:x TO:y)");
}

TEST(ParseSearch, Charset) {
    SearchArgs s = search("a SEARCH CHARSET utf-8 SUBJECT \"Gr\xc3\xbc\xc3\x9f\x65\"");
    EXPECT_EQ(s.charset, "UTF-8");
    EXPECT_EQ(show(s.key), "SUBJECT:Gr\xc3\xbc\xc3\x9f" "e");
    EXPECT_EQ(search("a SEARCH ALL").charset, "");
    // imaplib sends non-ASCII strings as literals.
    ringpost::imap::test::Wire w;
    ParseResult r = w.parse("a UID SEARCH CHARSET UTF-8 TEXT {6}\r\n\xe6\x97\xa5\xe6\x9c\xac\r\n");
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.command.get<SearchArgs>().key.value, "\xe6\x97\xa5\xe6\x9c\xac");
    EXPECT_FALSE(parse_command("a SEARCH CHARSET").ok());
    EXPECT_FALSE(parse_command("a SEARCH CHARSET UTF-8").ok());
}

TEST(ParseSearch, Errors) {
    auto error = [](std::string_view line) {
        ParseResult r = parse_command(line);
        EXPECT_FALSE(r.ok()) << line;
        return r.error;
    };
    EXPECT_EQ(error("a SEARCH"), "SEARCH: Missing argument");
    EXPECT_EQ(error("a SEARCH "), "SEARCH: Expected search key");
    EXPECT_EQ(error("a SEARCH BOGUS"), "SEARCH: Unknown search key");
    EXPECT_EQ(error("a SEARCH FROM"), "SEARCH: Missing argument");
    EXPECT_EQ(error("a SEARCH OR FROM a"), "SEARCH: Missing argument");
    EXPECT_EQ(error("a SEARCH NOT"), "SEARCH: Missing argument");
    EXPECT_EQ(error("a SEARCH ()"), "SEARCH: Empty search group");
    EXPECT_EQ(error("a SEARCH (SEEN"), "SEARCH: Unterminated search group");
    EXPECT_EQ(error("a SEARCH SEEN)"), "SEARCH: Unexpected extra arguments");
    EXPECT_EQ(error("a SEARCH SINCE 30-Feb-2024"), "SEARCH: Invalid date");
    EXPECT_EQ(error("a SEARCH SINCE 2024-02-01"), "SEARCH: Invalid date");
    EXPECT_EQ(error("a SEARCH LARGER x"), "SEARCH: Expected size");
    EXPECT_EQ(error("a SEARCH LARGER 99999999999999999999"), "SEARCH: Number out of range");
    EXPECT_EQ(error("a SEARCH UID"), "SEARCH: Missing argument");
    EXPECT_EQ(error("a SEARCH 0"), "SEARCH: Invalid sequence set");
    EXPECT_EQ(error("a SEARCH $"), "SEARCH: SEARCHRES ($) is not supported");
    EXPECT_EQ(error("a SEARCH KEYWORD \\Seen"), "SEARCH: Expected keyword");
    EXPECT_EQ(error("a SEARCH RETURN (MIN) ALL"), "SEARCH: SEARCH RETURN (ESEARCH) is not supported");
}

TEST(ParseSearch, DepthAndSizeAreBounded) {
    std::string deep = "a SEARCH ";
    for (int i = 0; i < 40; ++i) deep += "NOT ";
    deep += "SEEN";
    ParseResult r = parse_command(deep);
    EXPECT_EQ(r.error, "SEARCH: Search nested too deeply");
    std::string parens = "a SEARCH " + std::string(1000, '(') + "SEEN" + std::string(1000, ')');
    r = parse_command(parens);
    EXPECT_EQ(r.error, "SEARCH: Search nested too deeply");
    // 30 levels are fine.
    std::string ok = "a SEARCH ";
    for (int i = 0; i < 30; ++i) ok += "NOT ";
    ok += "SEEN";
    EXPECT_TRUE(parse_command(ok).ok());
    std::string wide = "a SEARCH";
    for (int i = 0; i < 10001; ++i) wide += " ALL";
    r = parse_command(wide);
    EXPECT_EQ(r.error, "SEARCH: Search has too many keys");
}
