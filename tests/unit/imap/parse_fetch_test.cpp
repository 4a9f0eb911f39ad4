// Tests for FETCH parsing (src/imap/parse_fetch.cpp): data items, macros,
// sections and partials as clients send them, and the names the response
// echoes (append_fetch_item_name).
#include <gtest/gtest.h>

#include "imap/parser.hpp"
#include "imap/response.hpp"

using namespace ringpost::imap;

namespace {

FetchArgs fetch(std::string_view line) {
    ParseResult r = parse_command(line);
    EXPECT_TRUE(r.ok()) << line << " -> " << r.error;
    if (!r.ok()) return {};
    EXPECT_EQ(r.command.type, CommandType::kFetch);
    return r.command.get<FetchArgs>();
}

std::string error(std::string_view line) {
    ParseResult r = parse_command(line);
    EXPECT_FALSE(r.ok()) << line;
    return r.error;
}

// The response names of all items, space-separated.
std::string names(const FetchArgs& f) {
    std::string out;
    for (const FetchItem& item : f.items) {
        if (!out.empty()) out += ' ';
        append_fetch_item_name(out, item);
    }
    return out;
}

}  // namespace

TEST(ParseFetch, SimpleItems) {
    FetchArgs f = fetch("a FETCH 1 (FLAGS UID INTERNALDATE RFC822.SIZE RFC822 RFC822.HEADER RFC822.TEXT ENVELOPE BODY BODYSTRUCTURE)");
    ASSERT_EQ(f.items.size(), 10u);
    EXPECT_EQ(f.items[0].attr, FetchAttr::kFlags);
    EXPECT_EQ(f.items[1].attr, FetchAttr::kUid);
    EXPECT_EQ(f.items[2].attr, FetchAttr::kInternalDate);
    EXPECT_EQ(f.items[3].attr, FetchAttr::kRfc822Size);
    EXPECT_EQ(f.items[4].attr, FetchAttr::kRfc822);
    EXPECT_EQ(f.items[5].attr, FetchAttr::kRfc822Header);
    EXPECT_EQ(f.items[6].attr, FetchAttr::kRfc822Text);
    EXPECT_EQ(f.items[7].attr, FetchAttr::kEnvelope);
    EXPECT_EQ(f.items[8].attr, FetchAttr::kBody);
    EXPECT_EQ(f.items[9].attr, FetchAttr::kBodyStructure);
    EXPECT_EQ(names(f), "FLAGS UID INTERNALDATE RFC822.SIZE RFC822 RFC822.HEADER RFC822.TEXT ENVELOPE BODY BODYSTRUCTURE");
    // A single item needs no parentheses; names are case-insensitive.
    f = fetch("JIKM5 FETCH 1 (RFC822)");
    ASSERT_EQ(f.items.size(), 1u);
    f = fetch("a fetch 2:4 flags");
    ASSERT_EQ(f.items.size(), 1u);
    EXPECT_EQ(f.items[0].attr, FetchAttr::kFlags);
    EXPECT_EQ(f.set.to_string(), "2:4");
}

TEST(ParseFetch, Macros) {
    EXPECT_EQ(names(fetch("a FETCH 1:* ALL")), "FLAGS INTERNALDATE RFC822.SIZE ENVELOPE");
    EXPECT_EQ(names(fetch("a FETCH 1:* fast")), "FLAGS INTERNALDATE RFC822.SIZE");
    EXPECT_EQ(names(fetch("a FETCH 1:* FULL")), "FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY");
    EXPECT_EQ(error("a FETCH 1 (ALL)"), "FETCH: Fetch macros cannot be combined");
    EXPECT_EQ(error("a FETCH 1 (FLAGS FAST)"), "FETCH: Fetch macros cannot be combined");
}

TEST(ParseFetch, ThunderbirdHeaders) {
    ParseResult r = parse_command(
        "A003 UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date "
        "Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])");
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_TRUE(r.command.uid);
    const FetchArgs& f = r.command.get<FetchArgs>();
    EXPECT_EQ(f.set.to_string(), "1:*");
    ASSERT_EQ(f.items.size(), 4u);
    const FetchItem& h = f.items[3];
    EXPECT_EQ(h.attr, FetchAttr::kBodySection);
    EXPECT_TRUE(h.peek);
    EXPECT_TRUE(h.section.part.empty());
    EXPECT_EQ(h.section.text, Section::Text::kHeaderFields);
    ASSERT_EQ(h.section.fields.size(), 14u);
    EXPECT_EQ(h.section.fields[0], "From");
    EXPECT_EQ(h.section.fields[13], "Reply-To");
    EXPECT_FALSE(h.partial);
    std::string name;
    append_fetch_item_name(name, h);
    EXPECT_EQ(name,
              "BODY[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References "
              "Newsgroups In-Reply-To Content-Type Reply-To)]");
}

TEST(ParseFetch, MuttAndMbsync) {
    FetchArgs f = fetch(
        "a0006 UID FETCH 1:5 (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (DATE FROM SENDER SUBJECT TO "
        "CC MESSAGE-ID REFERENCES CONTENT-TYPE CONTENT-DESCRIPTION IN-REPLY-TO REPLY-TO LINES LIST-POST X-LABEL "
        "X-ORIGINAL-TO)])");
    ASSERT_EQ(f.items.size(), 5u);
    EXPECT_EQ(f.items[4].section.fields.size(), 16u);
    f = fetch("a0008 UID FETCH 3 BODY.PEEK[]");
    ASSERT_EQ(f.items.size(), 1u);
    EXPECT_EQ(f.items[0].section.text, Section::Text::kAll);
    EXPECT_TRUE(f.items[0].peek);
    EXPECT_EQ(names(f), "BODY[]");
    f = fetch("5 UID FETCH 1:1000000000 (UID FLAGS)");
    EXPECT_EQ(f.set.to_string(), "1:1000000000");
    f = fetch("6 UID FETCH 5:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (X-TUID)])");
    EXPECT_EQ(f.items[2].section.fields, std::vector<std::string>{"X-TUID"});
    f = fetch("a FETCH 1 (BODY.PEEK[HEADER.FIELDS.NOT (Received DKIM-Signature)])");
    EXPECT_EQ(f.items[0].section.text, Section::Text::kHeaderFieldsNot);
    EXPECT_EQ(names(f), "BODY[HEADER.FIELDS.NOT (Received DKIM-Signature)]");
    // Quoted field names are astrings too.
    f = fetch("a FETCH 1 BODY[HEADER.FIELDS (\"Subject\" \"X-Spam\")]");
    EXPECT_EQ(f.items[0].section.fields, (std::vector<std::string>{"Subject", "X-Spam"}));
    EXPECT_EQ(error("a FETCH 1 BODY[HEADER.FIELDS (\"Sub ject\")]"), "FETCH: Invalid header field name");
}

TEST(ParseFetch, CurlSectionsAndPartials) {
    FetchArgs f = fetch("A004 FETCH 1 BODY[]");
    EXPECT_FALSE(f.items[0].peek);
    f = fetch("A005 UID FETCH 123 BODY[TEXT]");
    EXPECT_EQ(f.items[0].section.text, Section::Text::kText);
    f = fetch("A006 FETCH 1 BODY[1.2]");
    EXPECT_EQ(f.items[0].section.part, (std::vector<uint32_t>{1, 2}));
    EXPECT_EQ(f.items[0].section.text, Section::Text::kAll);
    f = fetch("A007 FETCH 1 BODY[]<0.100>");
    EXPECT_TRUE(f.items[0].partial);
    EXPECT_EQ(f.items[0].partial_offset, 0u);
    EXPECT_EQ(f.items[0].partial_length, 100u);
    EXPECT_EQ(names(f), "BODY[]<0>");
    f = fetch("a FETCH 1 BODY.PEEK[1.2.3.HEADER]<1024.2048>");
    EXPECT_EQ(f.items[0].section.part, (std::vector<uint32_t>{1, 2, 3}));
    EXPECT_EQ(f.items[0].section.text, Section::Text::kHeader);
    EXPECT_EQ(names(f), "BODY[1.2.3.HEADER]<1024>");
}

TEST(ParseFetch, AllSectionForms) {
    struct Case {
        const char* spec;
        Section::Text text;
        size_t parts;
    } cases[] = {
        {"", Section::Text::kAll, 0},
        {"HEADER", Section::Text::kHeader, 0},
        {"header", Section::Text::kHeader, 0},
        {"TEXT", Section::Text::kText, 0},
        {"1", Section::Text::kAll, 1},
        {"1.MIME", Section::Text::kMime, 1},
        {"2.1.TEXT", Section::Text::kText, 2},
        {"3.HEADER", Section::Text::kHeader, 1},
        {"4.2.HEADER.FIELDS (Subject)", Section::Text::kHeaderFields, 2},
        {"4.HEADER.FIELDS.NOT (Subject)", Section::Text::kHeaderFieldsNot, 1},
        {"4294967295", Section::Text::kAll, 1},
    };
    for (const Case& c : cases) {
        std::string line = std::string("a FETCH 1 BODY[") + c.spec + "]";
        FetchArgs f = fetch(line);
        ASSERT_EQ(f.items.size(), 1u) << line;
        EXPECT_EQ(f.items[0].section.text, c.text) << line;
        EXPECT_EQ(f.items[0].section.part.size(), c.parts) << line;
        // The echoed name round-trips through the parser.
        std::string echoed = "a FETCH 1 " + names(f);
        FetchArgs again = fetch(echoed);
        EXPECT_EQ(names(again), names(f));
    }
}

TEST(ParseFetch, Errors) {
    EXPECT_EQ(error("a FETCH 1 BODY[MIME]"), "FETCH: Invalid section");
    EXPECT_EQ(error("a FETCH 1 BODY[0]"), "FETCH: Invalid section part number");
    EXPECT_EQ(error("a FETCH 1 BODY[01]"), "FETCH: Invalid section part number");
    EXPECT_EQ(error("a FETCH 1 BODY[1.]"), "FETCH: Invalid section");
    EXPECT_EQ(error("a FETCH 1 BODY[1..2]"), "FETCH: Invalid section");
    EXPECT_EQ(error("a FETCH 1 BODY[4294967296]"), "FETCH: Invalid section part number");
    EXPECT_EQ(error("a FETCH 1 BODY[HEADER.FIELDS]"), "FETCH: Expected space");
    EXPECT_EQ(error("a FETCH 1 BODY[HEADER.FIELDS ()]"), "FETCH: Empty header field list");
    EXPECT_EQ(error("a FETCH 1 BODY[TEXT"), "FETCH: Invalid section");
    EXPECT_EQ(error("a FETCH 1 BODY[HEADERS]"), "FETCH: Invalid section");
    EXPECT_EQ(error("a FETCH 1 BODY[]<0.0>"), "FETCH: Invalid partial");
    EXPECT_EQ(error("a FETCH 1 BODY[]<5>"), "FETCH: Invalid partial");
    EXPECT_EQ(error("a FETCH 1 BODY[]<a.b>"), "FETCH: Invalid partial");
    EXPECT_EQ(error("a FETCH 1 BODY.PEEK"), "FETCH: Expected section after BODY.PEEK");
    EXPECT_EQ(error("a FETCH 1 BINARY[1]"), "FETCH: BINARY is not supported");
    EXPECT_EQ(error("a FETCH 1 (BINARY.SIZE[1])"), "FETCH: BINARY is not supported");
    EXPECT_EQ(error("a FETCH 1 (X-GM-MSGID)"), "FETCH: Unknown fetch attribute");
    EXPECT_EQ(error("a FETCH 1 ()"), "FETCH: Empty fetch attribute list");
    EXPECT_EQ(error("a FETCH 1 (FLAGS"), "FETCH: Unterminated fetch attribute list");
    EXPECT_EQ(error("a FETCH 1 (FLAGS("), "FETCH: Invalid fetch attribute list");
    EXPECT_EQ(error("a FETCH 1 (FLAGS) (CHANGEDSINCE 12345)"), "FETCH: FETCH modifiers are not supported");
    EXPECT_EQ(error("a FETCH 1:x FLAGS"), "FETCH: Invalid sequence set");
    EXPECT_EQ(error("a FETCH FLAGS"), "FETCH: Expected sequence set");
    EXPECT_EQ(error("a FETCH 1 FLAGS UID"), "FETCH: Unexpected extra arguments");
    std::string many = "a FETCH 1 (";
    for (int i = 0; i < 300; ++i) many += "UID ";
    many += ")";
    EXPECT_EQ(error(many), "FETCH: Too many fetch attributes");
    std::string deep = "a FETCH 1 BODY[1";
    for (int i = 0; i < 70; ++i) deep += ".1";
    deep += "]";
    EXPECT_EQ(error(deep), "FETCH: Section nested too deeply");
}
