// Tests for the IMAP response writers (src/imap/response.hpp).
#include "imap/response.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "imap/parser.hpp"

using namespace ringpost::imap;

namespace {

template <class F>
std::string write(F f) {
    std::string out;
    f(out);
    return out;
}

}  // namespace

TEST(Response, AtomChecks) {
    EXPECT_TRUE(is_atom("INBOX"));
    EXPECT_TRUE(is_atom("$Forwarded"));
    EXPECT_FALSE(is_atom(""));
    EXPECT_FALSE(is_atom("a b"));
    EXPECT_FALSE(is_atom("a]"));
    EXPECT_FALSE(is_atom("a*"));
    EXPECT_FALSE(is_atom("\xc3\xa9"));
    EXPECT_TRUE(is_astring_atom("a]"));
    EXPECT_FALSE(is_astring_atom("a%"));
    EXPECT_TRUE(is_flag("\\Seen"));
    EXPECT_TRUE(is_flag("Junk"));
    EXPECT_FALSE(is_flag("\\"));
    EXPECT_FALSE(is_flag("\\*"));
    EXPECT_FALSE(is_flag("two words"));
}

TEST(Response, Strings) {
    EXPECT_EQ(write([](std::string& o) { append_string(o, "hello"); }), "\"hello\"");
    EXPECT_EQ(write([](std::string& o) { append_string(o, ""); }), "\"\"");
    EXPECT_EQ(write([](std::string& o) { append_string(o, "say \"hi\" \\o/"); }), "\"say \\\"hi\\\" \\\\o/\"");
    EXPECT_EQ(write([](std::string& o) { append_string(o, "two\r\nlines"); }), "{10}\r\ntwo\r\nlines");
    EXPECT_EQ(write([](std::string& o) { append_string(o, "caf\xc3\xa9"); }), "{5}\r\ncaf\xc3\xa9");
    EXPECT_EQ(write([](std::string& o) { append_string(o, "caf\xc3\xa9", true); }), "\"caf\xc3\xa9\"");
    EXPECT_EQ(write([](std::string& o) { append_string(o, "bad\xff", true); }), "{4}\r\nbad\xff");
    EXPECT_EQ(write([](std::string& o) { append_string(o, std::string_view("a\0b", 3)); }), "\"ab\"");
    EXPECT_EQ(write([](std::string& o) { append_string(o, std::string_view("a\0\n", 3)); }), "{2}\r\na\n");
    EXPECT_EQ(write([](std::string& o) { append_nstring(o, std::nullopt); }), "NIL");
    EXPECT_EQ(write([](std::string& o) { append_nstring(o, "NIL"); }), "\"NIL\"");
}

// A message's bytes keep their size: NUL goes out as 0x80.
TEST(Response, MessageLiteralsKeepTheStoredSize) {
    EXPECT_EQ(write([](std::string& o) { append_message_literal(o, std::string_view("a\0\r\n\0", 5)); }),
              "{5}\r\na\x80\r\n\x80");
    EXPECT_EQ(write([](std::string& o) { append_message_literal(o, ""); }), "{0}\r\n");
    EXPECT_EQ(write([](std::string& o) {
                  o += std::string_view("kept\0", 5);   // what is in the buffer already is not touched
                  append_message_bytes(o, std::string_view("\0x", 2));
              }),
              std::string("kept\0\x80x", 7));
}

TEST(Response, Astrings) {
    EXPECT_EQ(write([](std::string& o) { append_astring(o, "INBOX"); }), "INBOX");
    EXPECT_EQ(write([](std::string& o) { append_astring(o, "a]b"); }), "a]b");
    EXPECT_EQ(write([](std::string& o) { append_astring(o, "My Folder"); }), "\"My Folder\"");
    EXPECT_EQ(write([](std::string& o) { append_astring(o, ""); }), "\"\"");
    EXPECT_EQ(write([](std::string& o) { append_astring(o, "nil"); }), "\"nil\"");
    EXPECT_EQ(write([](std::string& o) { append_astring(o, "50%"); }), "\"50%\"");
}

TEST(Response, Mailboxes) {
    EXPECT_EQ(write([](std::string& o) { append_mailbox(o, "INBOX"); }), "INBOX");
    EXPECT_EQ(write([](std::string& o) { append_mailbox(o, "日本語"); }), "&ZeVnLIqe-");
    EXPECT_EQ(write([](std::string& o) { append_mailbox(o, "Gelöschte Elemente"); }), "\"Gel&APY-schte Elemente\"");
    EXPECT_EQ(write([](std::string& o) { append_mailbox(o, "A&B"); }), "A&-B");
    EXPECT_EQ(write([](std::string& o) { append_mailbox(o, "日本語", true); }), "\"日本語\"");
    // What we write, the parser reads back.
    for (const char* name : {"INBOX", "日本語", "Gelöschte Elemente", "A&B", "say \"x\"", "a\\b", "Sent Items"}) {
        std::string line = "a SELECT ";
        append_mailbox(line, name);
        ParseResult r = parse_command(line);
        ASSERT_TRUE(r.ok()) << line << ": " << r.error;
        EXPECT_EQ(r.command.get<SelectArgs>().mailbox, name);
    }
}

TEST(Response, FlagLists) {
    std::vector<std::string> flags = {"\\Seen", "$Forwarded", "bad flag", "\\Answered", ""};
    EXPECT_EQ(write([&](std::string& o) { append_flag_list(o, flags); }), "(\\Seen $Forwarded \\Answered)");
    std::vector<std::string> none;
    EXPECT_EQ(write([&](std::string& o) { append_flag_list(o, none); }), "()");
    std::vector<std::string_view> views = {"\\Deleted", "\\Draft"};
    EXPECT_EQ(write([&](std::string& o) { append_flag_list(o, views); }), "(\\Deleted \\Draft)");
}

TEST(Response, Sections) {
    Section s;
    EXPECT_EQ(write([&](std::string& o) { append_section(o, s); }), "");
    s.part = {1, 2};
    EXPECT_EQ(write([&](std::string& o) { append_section(o, s); }), "1.2");
    s.text = Section::Text::kMime;
    EXPECT_EQ(write([&](std::string& o) { append_section(o, s); }), "1.2.MIME");
    s.part.clear();
    s.text = Section::Text::kHeaderFields;
    s.fields = {"From", "X Odd"};
    EXPECT_EQ(write([&](std::string& o) { append_section(o, s); }), "HEADER.FIELDS (From \"X Odd\")");
    FetchItem item;
    item.attr = FetchAttr::kBodySection;
    item.peek = true;
    item.section.text = Section::Text::kText;
    item.partial = true;
    item.partial_offset = 500;
    item.partial_length = 100;
    EXPECT_EQ(write([&](std::string& o) { append_fetch_item_name(o, item); }), "BODY[TEXT]<500>");
}

TEST(Response, Text) {
    EXPECT_EQ(write([](std::string& o) { append_text(o, "ok text"); }), "ok text");
    EXPECT_EQ(write([](std::string& o) { append_text(o, "inject\r\n* BYE"); }), "inject??* BYE");
    EXPECT_EQ(write([](std::string& o) { append_text(o, std::string_view("\0\x7f", 2)); }), "??");
}
