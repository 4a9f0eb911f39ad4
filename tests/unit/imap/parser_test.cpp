// Tests for the IMAP command parser (src/imap/parser.hpp): tag, UID prefix,
// command names, the arguments of every command but FETCH and SEARCH
// (parse_fetch_test, parse_search_test), in the forms Thunderbird, mutt,
// mbsync, Python's imaplib and curl send, and garbage.
#include "imap/parser.hpp"

#include <gtest/gtest.h>

#include "imap_test_util.hpp"

using namespace ringpost::imap;
using ringpost::imap::test::parse_line;
using ringpost::imap::test::Wire;

namespace {

Command ok(std::string_view line, const ParseOptions& options = {}) {
    ParseResult r = parse_line(line, options);
    EXPECT_TRUE(r.ok()) << line << " -> " << r.error;
    return r.command;
}

std::string bad(std::string_view line, const ParseOptions& options = {}) {
    ParseResult r = parse_line(line, options);
    EXPECT_FALSE(r.ok()) << line;
    return r.error;
}

}  // namespace

TEST(Parser, CommandsWithoutArguments) {
    struct Case {
        const char* line;
        CommandType type;
    } cases[] = {
        {"a CAPABILITY", CommandType::kCapability}, {"a1 capability", CommandType::kCapability},
        {"A NOOP", CommandType::kNoop},             {"A LOGOUT", CommandType::kLogout},
        {"A StartTLS", CommandType::kStarttls},     {"A NAMESPACE", CommandType::kNamespace},
        {"A CHECK", CommandType::kCheck},           {"A CLOSE", CommandType::kClose},
        {"A UNSELECT", CommandType::kUnselect},     {"A EXPUNGE", CommandType::kExpunge},
        {"A IDLE", CommandType::kIdle},             {"A noop  ", CommandType::kNoop},
    };
    for (const Case& c : cases) {
        Command cmd = ok(c.line);
        EXPECT_EQ(cmd.type, c.type) << c.line;
        EXPECT_FALSE(cmd.uid);
        EXPECT_TRUE(std::holds_alternative<std::monostate>(cmd.args)) << c.line;
    }
    EXPECT_EQ(ok("a CAPABILITY").tag, "a");
    EXPECT_EQ(bad("a NOOP extra"), "NOOP: Unexpected extra arguments");
    EXPECT_EQ(command_name(CommandType::kUnselect), "UNSELECT");
}

TEST(Parser, Tags) {
    EXPECT_EQ(ok("A0001 NOOP").tag, "A0001");
    EXPECT_EQ(ok("JIKM1 NOOP").tag, "JIKM1");
    EXPECT_EQ(ok("a.b-c_d]e NOOP").tag, "a.b-c_d]e");
    ParseResult r = parse_line("+a NOOP");
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.command.tag, "*");
    r = parse_line("a(b NOOP");
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.command.tag, "*");
    r = parse_line("a1");
    EXPECT_EQ(r.command.tag, "a1");
    EXPECT_EQ(r.error, "Missing command");
    r = parse_line("");
    EXPECT_EQ(r.command.tag, "*");
    EXPECT_EQ(r.error, "Empty command");
    r = parse_line("a1 FROB x");
    EXPECT_EQ(r.command.tag, "a1");
    EXPECT_EQ(r.error, "Unknown command");
}

TEST(Parser, UidPrefix) {
    Command c = ok("a UID EXPUNGE 3:5");
    EXPECT_EQ(c.type, CommandType::kExpunge);
    EXPECT_TRUE(c.uid);
    EXPECT_EQ(c.get<UidExpungeArgs>().set.to_string(), "3:5");
    EXPECT_TRUE(ok("a uid copy 1 x").uid);
    EXPECT_EQ(bad("a UID NOOP"), "UID is not valid with this command");
    EXPECT_EQ(bad("a UID"), "Missing command after UID");
    EXPECT_EQ(bad("a UID EXPUNGE"), "EXPUNGE: Missing argument");
    EXPECT_EQ(bad("a EXPUNGE 1"), "EXPUNGE: Unexpected extra arguments");
}

TEST(Parser, Login) {
    Command c = ok("a0001 LOGIN \"user@example.com\" \"p a\\\"ss\\\\\"");
    EXPECT_EQ(c.type, CommandType::kLogin);
    EXPECT_EQ(c.get<LoginArgs>().user, "user@example.com");
    EXPECT_EQ(c.get<LoginArgs>().password, "p a\"ss\\");
    c = ok("A002 LOGIN user secret");   // curl
    EXPECT_EQ(c.get<LoginArgs>().user, "user");
    EXPECT_EQ(c.get<LoginArgs>().password, "secret");
    // Literals (imaplib sends an 8-bit password this way).
    Wire w;
    ParseResult r = w.parse("JIKM2 LOGIN {4}\r\nuser {7+}\r\nsecr\xc3\xa9t\r\n");
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(w.continues(), 1);
    EXPECT_EQ(r.command.get<LoginArgs>().user, "user");
    EXPECT_EQ(r.command.get<LoginArgs>().password, "secr\xc3\xa9t");
    EXPECT_EQ(bad("a LOGIN user"), "LOGIN: Missing argument");
    EXPECT_EQ(bad("a LOGIN"), "LOGIN: Missing argument");
    EXPECT_EQ(bad("a LOGIN \"unterminated pass"), "LOGIN: Unterminated quoted string");
    EXPECT_EQ(bad("a LOGIN (x) y"), "LOGIN: Expected user name");
    EXPECT_EQ(bad("a LOGIN u p q"), "LOGIN: Unexpected extra arguments");
    EXPECT_EQ(bad("a LOGIN u \"bad\\escape\""), "LOGIN: Invalid escape in quoted string");
}

TEST(Parser, Authenticate) {
    Command c = ok("1 authenticate plain");
    EXPECT_EQ(c.get<AuthenticateArgs>().mechanism, "PLAIN");
    EXPECT_FALSE(c.get<AuthenticateArgs>().initial_response);
    c = ok("a AUTHENTICATE PLAIN AGJvYgBzZWNyZXQ=");
    ASSERT_TRUE(c.get<AuthenticateArgs>().initial_response);
    EXPECT_EQ(*c.get<AuthenticateArgs>().initial_response, "AGJvYgBzZWNyZXQ=");
    c = ok("a AUTHENTICATE EXTERNAL =");
    ASSERT_TRUE(c.get<AuthenticateArgs>().initial_response);
    EXPECT_EQ(*c.get<AuthenticateArgs>().initial_response, "");
    EXPECT_EQ(ok("a AUTHENTICATE XOAUTH2 dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQ==").get<AuthenticateArgs>().mechanism,
              "XOAUTH2");
    EXPECT_EQ(bad("a AUTHENTICATE"), "AUTHENTICATE: Missing argument");
    EXPECT_EQ(bad("a AUTHENTICATE PLAIN !!"), "AUTHENTICATE: Invalid initial response");
    EXPECT_EQ(bad("a AUTHENTICATE PLAIN abc def"), "AUTHENTICATE: Unexpected extra arguments");
}

TEST(Parser, Enable) {
    Command c = ok("5 ENABLE UTF8=ACCEPT condstore");
    ASSERT_EQ(c.get<EnableArgs>().capabilities.size(), 2u);
    EXPECT_EQ(c.get<EnableArgs>().capabilities[0], "UTF8=ACCEPT");
    EXPECT_EQ(c.get<EnableArgs>().capabilities[1], "CONDSTORE");
    EXPECT_FALSE(parse_line("a ENABLE").ok());
    EXPECT_FALSE(parse_line("a ENABLE ").ok());
    EXPECT_FALSE(parse_line("a ENABLE (X)").ok());
}

TEST(Parser, Id) {
    Command c = ok("3 ID (\"name\" \"Thunderbird\" \"version\" \"115.3.1\")");
    const auto& f = c.get<IdArgs>().fields;
    ASSERT_EQ(f.size(), 2u);
    EXPECT_EQ(f[0].first, "name");
    EXPECT_EQ(f[0].second, "Thunderbird");
    EXPECT_EQ(f[1].second, "115.3.1");
    EXPECT_TRUE(ok("a ID NIL").get<IdArgs>().fields.empty());
    EXPECT_TRUE(ok("a ID ()").get<IdArgs>().fields.empty());
    c = ok("a ID (\"vendor\" NIL)");
    ASSERT_EQ(c.get<IdArgs>().fields.size(), 1u);
    EXPECT_FALSE(c.get<IdArgs>().fields[0].second);
    EXPECT_FALSE(parse_line("a ID (\"name\")").ok());
    EXPECT_FALSE(parse_line("a ID").ok());
    EXPECT_FALSE(parse_line("a ID name").ok());
    std::string many = "a ID (";
    for (int i = 0; i < 31; ++i) many += "\"k\" \"v\" ";
    many += ")";
    EXPECT_EQ(bad(many), "ID: Too many ID fields");
}

TEST(Parser, SelectAndExamine) {
    Command c = ok("7 select \"INBOX\"");
    EXPECT_EQ(c.type, CommandType::kSelect);
    EXPECT_EQ(c.get<SelectArgs>().mailbox, "INBOX");
    EXPECT_FALSE(c.get<SelectArgs>().condstore);
    EXPECT_EQ(ok("a SELECT inbox").get<SelectArgs>().mailbox, "INBOX");
    EXPECT_EQ(ok("a SELECT InBoX").get<SelectArgs>().mailbox, "INBOX");
    EXPECT_EQ(ok("a SELECT inbox/sub").get<SelectArgs>().mailbox, "inbox/sub");
    c = ok("a EXAMINE \"Sent\" (CONDSTORE)");
    EXPECT_EQ(c.type, CommandType::kExamine);
    EXPECT_TRUE(c.get<SelectArgs>().condstore);
    // Unknown parameters (QRESYNC's value included) are ignored.
    c = ok("a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541) CONDSTORE X-FOO)");
    EXPECT_TRUE(c.get<SelectArgs>().condstore);
    EXPECT_EQ(ok("a SELECT \"&ZeVnLIqe-\"").get<SelectArgs>().mailbox, "日本語");
    Wire w;
    ParseResult r = w.parse("a SELECT {5}\r\ninbox\r\n");
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.command.get<SelectArgs>().mailbox, "INBOX");
    r = w.parse("a SELECT {10+}\r\n&ZeVnLIqe-\r\n");
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.command.get<SelectArgs>().mailbox, "日本語");
    EXPECT_FALSE(parse_line("a SELECT").ok());
    EXPECT_FALSE(parse_line("a SELECT INBOX (CONDSTORE").ok());
    EXPECT_FALSE(parse_line("a SELECT INBOX CONDSTORE").ok());
    EXPECT_FALSE(parse_line("a SELECT INBOX (((((((((((1)))))))))))").ok());
    // Not modified UTF-7: well-formed syntax, answered NO by the session.
    c = ok("a SELECT \"&Jjo\"");
    EXPECT_EQ(c.invalid_name, "Mailbox name is not modified UTF-7: unterminated '&'");
    EXPECT_EQ(c.get<SelectArgs>().mailbox, "&Jjo");
    EXPECT_EQ(ok("a LIST \"\" \"&*\"").invalid_name, "Mailbox name is not modified UTF-7: bad base64 character");
    // New names are bounded (4,096 bytes, as Dovecot); existing ones may still be named.
    const std::string longest(4096, 'n');
    EXPECT_EQ(ok("a CREATE " + longest).invalid_name, "");
    EXPECT_EQ(ok("a CREATE " + longest + "x").invalid_name, "Mailbox name too long");
    EXPECT_EQ(ok("a RENAME x " + longest + "x").invalid_name, "Mailbox name too long");
    EXPECT_EQ(ok("a SELECT " + longest + "x").invalid_name, "");
    EXPECT_EQ(ok("a SELECT INBOX").invalid_name, "");
}

TEST(Parser, Utf8MailboxNames) {
    ParseOptions utf8;
    utf8.utf8 = true;
    EXPECT_EQ(ok("a SELECT \"日本語\"", utf8).get<SelectArgs>().mailbox, "日本語");
    // With UTF8=ACCEPT "&" is just a character.
    EXPECT_EQ(ok("a SELECT \"A&B\"", utf8).get<SelectArgs>().mailbox, "A&B");
    EXPECT_EQ(ok("a SELECT \"\xff\"", utf8).invalid_name, "Mailbox name is not valid UTF-8");
    // Without it, 8-bit names are refused (NO, by the session).
    EXPECT_FALSE(ok("a SELECT \"日本語\"").invalid_name.empty());
}

TEST(Parser, CreateDeleteRenameSubscribe) {
    Command c = ok("17 create \"Archives/2024\"");
    EXPECT_EQ(c.type, CommandType::kCreate);
    EXPECT_EQ(c.get<CreateArgs>().mailbox, "Archives/2024");
    EXPECT_TRUE(c.get<CreateArgs>().special_use.empty());
    c = ok("a CREATE MySent (USE (\\sent \\Drafts \\X-Custom))");
    ASSERT_EQ(c.get<CreateArgs>().special_use.size(), 3u);
    EXPECT_EQ(c.get<CreateArgs>().special_use[0], "\\Sent");
    EXPECT_EQ(c.get<CreateArgs>().special_use[1], "\\Drafts");
    EXPECT_EQ(c.get<CreateArgs>().special_use[2], "\\X-Custom");
    EXPECT_EQ(bad("a CREATE x (FOO)"), "CREATE: Unknown CREATE parameter");
    EXPECT_FALSE(parse_line("a CREATE x (USE (Sent))").ok());

    c = ok("a DELETE \"Entw&APw-rfe\"");
    EXPECT_EQ(c.type, CommandType::kDelete);
    EXPECT_EQ(c.get<MailboxArgs>().mailbox, "Entwürfe");
    // A marker without literal data (a line parsed on its own) is an error.
    EXPECT_FALSE(parse_line("a RENAME \"Old Name\" {8}").ok());
    c = ok("a RENAME \"Old Name\" New");
    EXPECT_EQ(c.get<RenameArgs>().from, "Old Name");
    EXPECT_EQ(c.get<RenameArgs>().to, "New");
    EXPECT_EQ(ok("a SUBSCRIBE Lists/ietf").get<MailboxArgs>().mailbox, "Lists/ietf");
    EXPECT_EQ(ok("a UNSUBSCRIBE \"Lists/ietf\"").type, CommandType::kUnsubscribe);
    EXPECT_FALSE(parse_line("a RENAME a").ok());
    EXPECT_FALSE(parse_line("a DELETE").ok());
}

TEST(Parser, List) {
    Command c = ok("a0002 LIST \"\" \"\"");   // mutt asks for the delimiter
    const ListArgs* l = &c.get<ListArgs>();
    EXPECT_EQ(l->reference, "");
    ASSERT_EQ(l->patterns.size(), 1u);
    EXPECT_EQ(l->patterns[0], "");
    EXPECT_FALSE(l->extended);

    c = ok("JIKM9 LIST \"\" *");   // imaplib
    l = &c.get<ListArgs>();
    EXPECT_EQ(l->patterns[0], "*");
    c = ok("a LIST \"\" %/%");
    EXPECT_EQ(c.get<ListArgs>().patterns[0], "%/%");
    c = ok("a LIST ~/Mail/ \"foo&-*\"");
    EXPECT_EQ(c.get<ListArgs>().reference, "~/Mail/");
    EXPECT_EQ(c.get<ListArgs>().patterns[0], "foo&*");
    c = ok("a LIST \"\" inbox");   // patterns are not normalised
    EXPECT_EQ(c.get<ListArgs>().patterns[0], "inbox");

    // Thunderbird with LIST-EXTENDED and SPECIAL-USE.
    c = ok("6 list (subscribed) \"\" \"*\" return (special-use)");
    l = &c.get<ListArgs>();
    EXPECT_TRUE(l->extended);
    EXPECT_TRUE(l->select_subscribed);
    EXPECT_TRUE(l->return_subscribed);   // implied
    EXPECT_TRUE(l->return_special_use);
    c = ok("a LIST \"\" \"*\" RETURN (SUBSCRIBED CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN UIDNEXT SIZE))");
    l = &c.get<ListArgs>();
    EXPECT_TRUE(l->return_subscribed && l->return_children && l->return_special_use && l->return_status);
    EXPECT_TRUE(l->status_items.messages && l->status_items.unseen && l->status_items.uidnext && l->status_items.size);
    EXPECT_FALSE(l->status_items.recent);
    c = ok("a LIST (SPECIAL-USE) \"\" \"*\"");
    EXPECT_TRUE(c.get<ListArgs>().select_special_use && c.get<ListArgs>().return_special_use);
    c = ok("a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (\"INBOX\" \"Lists/%\")");
    l = &c.get<ListArgs>();
    EXPECT_TRUE(l->select_recursive_match);
    ASSERT_EQ(l->patterns.size(), 2u);
    EXPECT_EQ(l->patterns[1], "Lists/%");
    c = ok("a LIST () \"\" %");
    EXPECT_TRUE(c.get<ListArgs>().extended);
    // Unknown options are refused, return options too (RFC 5258 3).
    EXPECT_EQ(bad("a LIST \"\" * RETURN (X-FOO (1 2) CHILDREN)"), "LIST: Unknown LIST return option");
    EXPECT_EQ(bad("a LIST (X-FOO) \"\" *"), "LIST: Unknown LIST selection option");
    EXPECT_EQ(bad("a LIST (RECURSIVEMATCH) \"\" *"), "LIST: RECURSIVEMATCH needs another selection option");
    EXPECT_EQ(bad("a LIST (RECURSIVEMATCH REMOTE) \"\" *"), "LIST: RECURSIVEMATCH needs another selection option");
    EXPECT_TRUE(ok("a LIST (REMOTE) \"\" %").get<ListArgs>().select_remote);
    EXPECT_FALSE(parse_line("a LIST \"\" ()").ok());
    // More than kMaxListWildcards wildcards (issue 11: "(*a)*15000 b").
    std::string many;
    for (int i = 0; i < 1001; ++i) many += "*a";
    EXPECT_EQ(bad("a LIST \"\" \"" + many + " b\""), "LIST: Too many wildcards in pattern");
    EXPECT_EQ(bad("a LSUB \"\" \"" + many + "\""), "LSUB: Too many wildcards in pattern");
    EXPECT_EQ(ok("a LIST \"\" \"" + many.substr(2) + "\"").get<ListArgs>().patterns.size(), 1u);
    // Each pattern is compiled with the reference in front: their bytes together are bounded.
    const std::string ref(30000, 'r');
    EXPECT_EQ(ok("a LIST " + ref + " (a b)").get<ListArgs>().patterns.size(), 2u);
    EXPECT_EQ(bad("a LIST " + ref + " (a b c)"), "LIST: Patterns too long");
    EXPECT_FALSE(parse_line("a LIST \"\"").ok());
    EXPECT_FALSE(parse_line("a LIST \"\" * RETURN").ok());
    EXPECT_FALSE(parse_line("a LIST \"\" * RETURN (STATUS (BOGUS))").ok());
}

TEST(Parser, Lsub) {
    Command c = ok("a0003 LSUB \"\" \"*\"");
    EXPECT_EQ(c.type, CommandType::kLsub);
    ASSERT_EQ(c.get<ListArgs>().patterns.size(), 1u);
    EXPECT_EQ(c.get<ListArgs>().patterns[0], "*");
    EXPECT_FALSE(parse_line("a LSUB \"\" (a b)").ok());
}

TEST(Parser, Status) {
    Command c = ok("a0009 STATUS \"INBOX\" (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)");
    const StatusArgs& s = c.get<StatusArgs>();
    EXPECT_EQ(s.mailbox, "INBOX");
    EXPECT_TRUE(s.items.messages && s.items.recent && s.items.uidnext && s.items.uidvalidity && s.items.unseen);
    EXPECT_FALSE(s.items.size);
    c = ok("a status Drafts (size highestmodseq deleted)");
    EXPECT_TRUE(c.get<StatusArgs>().items.size && c.get<StatusArgs>().items.highestmodseq);
    EXPECT_EQ(bad("a STATUS x ()"), "STATUS: Empty status item list");
    EXPECT_EQ(bad("a STATUS x (MESSAGES BOGUS)"), "STATUS: Unknown status item");
    EXPECT_FALSE(parse_line("a STATUS x MESSAGES").ok());
    EXPECT_FALSE(parse_line("a STATUS x").ok());
}

TEST(Parser, Append) {
    Wire w;
    // Thunderbird.
    ParseResult r = w.parse("16 append \"Sent\" (\\Seen) {12}\r\nHello world!\r\n");
    ASSERT_TRUE(r.ok()) << r.error;
    const AppendArgs* a = &r.command.get<AppendArgs>();
    EXPECT_EQ(a->mailbox, "Sent");
    ASSERT_EQ(a->messages.size(), 1u);
    EXPECT_EQ(a->messages[0].flags, std::vector<std::string>{"\\Seen"});
    EXPECT_FALSE(a->messages[0].internal_date);
    EXPECT_EQ(a->messages[0].data, "Hello world!");

    // mutt: flags and a date.
    r = w.parse("a0010 APPEND \"Drafts\" (\\Seen \\Draft) \"17-Jul-1996 02:44:25 -0700\" {5}\r\nab\r\nc\r\n");
    ASSERT_TRUE(r.ok()) << r.error;
    a = &r.command.get<AppendArgs>();
    ASSERT_EQ(a->messages.size(), 1u);
    EXPECT_EQ(a->messages[0].flags.size(), 2u);
    ASSERT_TRUE(a->messages[0].internal_date);
    EXPECT_EQ(a->messages[0].internal_date->unix_time, 837596665);
    EXPECT_EQ(a->messages[0].internal_date->zone_minutes, -420);
    EXPECT_EQ(a->messages[0].data, "ab\r\nc");

    // imaplib: empty flag list, date, and mbsync: LITERAL+.
    r = w.parse("JIKM3 APPEND INBOX () \" 7-Jul-2023 10:00:00 +0000\" {3+}\r\nxyz\r\n");
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(w.continues(), 0);
    a = &r.command.get<AppendArgs>();
    EXPECT_TRUE(a->messages[0].flags.empty());
    EXPECT_EQ(a->messages[0].data, "xyz");

    // No flags, no date; INBOX normalised.
    r = w.parse("A004 APPEND inbox {2}\r\nhi\r\n");
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.command.get<AppendArgs>().mailbox, "INBOX");

    // MULTIAPPEND.
    r = w.parse("a APPEND INBOX (\\Seen) {1}\r\nA (\\Flagged) {1}\r\nB {1}\r\nC\r\n");
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(w.continues(), 3);
    a = &r.command.get<AppendArgs>();
    ASSERT_EQ(a->messages.size(), 3u);
    EXPECT_EQ(a->messages[1].flags, std::vector<std::string>{"\\Flagged"});
    EXPECT_EQ(a->messages[2].data, "C");

    // Empty message (the session may refuse it, the syntax is fine).
    EXPECT_TRUE(w.parse("a APPEND INBOX {0}\r\n\r\n").ok());

    EXPECT_EQ(bad("a APPEND INBOX"), "APPEND: Expected message literal");
    EXPECT_EQ(bad("a APPEND INBOX \"message as quoted\""), "APPEND: Invalid date-time");
    EXPECT_EQ(bad("a APPEND INBOX (\\Seen)"), "APPEND: Missing argument");
    EXPECT_EQ(bad("a APPEND INBOX {5}"), "APPEND: Literal must end the line");
    EXPECT_FALSE(w.parse("a APPEND INBOX \"32-Jul-1996 02:44:25 -0700\" {1}\r\nx\r\n").ok());
    EXPECT_FALSE(w.parse("a APPEND INBOX {1}\r\nx{1}\r\ny\r\n").ok());
    EXPECT_FALSE(w.parse("a APPEND INBOX (\\Seen {1}\r\nx\r\n").ok());
}

TEST(Parser, Store) {
    Command c = ok("10 UID store 3 +Flags (\\Seen)");
    EXPECT_TRUE(c.uid);
    const StoreArgs* s = &c.get<StoreArgs>();
    EXPECT_EQ(s->mode, StoreMode::kAdd);
    EXPECT_FALSE(s->silent);
    EXPECT_EQ(s->flags, std::vector<std::string>{"\\Seen"});
    c = ok("a0007 UID STORE 3,5:7 +FLAGS.SILENT (\\Deleted)");
    s = &c.get<StoreArgs>();
    EXPECT_TRUE(s->silent);
    EXPECT_EQ(s->set.to_string(), "3,5:7");
    c = ok("JIKM6 STORE 1 +FLAGS \\Deleted");   // imaplib, no parentheses
    EXPECT_EQ(c.get<StoreArgs>().flags, std::vector<std::string>{"\\Deleted"});
    c = ok("a STORE 1:* -flags.silent \\seen \\FLAGGED $Forwarded");
    s = &c.get<StoreArgs>();
    EXPECT_EQ(s->mode, StoreMode::kRemove);
    EXPECT_EQ(s->flags, (std::vector<std::string>{"\\Seen", "\\Flagged", "$Forwarded"}));
    c = ok("a STORE 2 FLAGS ()");
    EXPECT_EQ(c.get<StoreArgs>().mode, StoreMode::kReplace);
    EXPECT_TRUE(c.get<StoreArgs>().flags.empty());
    c = ok("a STORE 2 FLAGS (\\X-Ext junk NonJunk)");
    EXPECT_EQ(c.get<StoreArgs>().flags.size(), 3u);
    EXPECT_EQ(bad("a STORE 1 +FLAGS (\\*)"), "STORE: \\* is not a flag");
    EXPECT_EQ(bad("a STORE 1 (UNCHANGEDSINCE 5) +FLAGS (\\Seen)"), "STORE: Store modifiers are not supported");
    EXPECT_EQ(bad("a STORE 1 +LABELS (x)"), "STORE: Expected FLAGS, +FLAGS or -FLAGS");
    EXPECT_FALSE(parse_line("a STORE 1 +FLAGS").ok());
    EXPECT_FALSE(parse_line("a STORE 1 +FLAGS ").ok());
    EXPECT_FALSE(parse_line("a STORE 1 +FLAGS (\\Seen").ok());
    EXPECT_FALSE(parse_line("a STORE 1 +FLAGS (\\)").ok());
    EXPECT_FALSE(parse_line("a STORE 0 +FLAGS (\\Seen)").ok());
    EXPECT_FALSE(parse_line("a STORE +FLAGS (\\Seen)").ok());
}

TEST(Parser, CopyAndMove) {
    Command c = ok("11 uid move 5 \"Trash\"");
    EXPECT_EQ(c.type, CommandType::kMove);
    EXPECT_TRUE(c.uid);
    EXPECT_EQ(c.get<CopyArgs>().mailbox, "Trash");
    c = ok("a COPY 1:3,7 \"Archive/2024\"");
    EXPECT_EQ(c.type, CommandType::kCopy);
    EXPECT_EQ(c.get<CopyArgs>().set.to_string(), "1:3,7");
    EXPECT_EQ(ok("a COPY 1 inbox").get<CopyArgs>().mailbox, "INBOX");
    EXPECT_FALSE(parse_line("a COPY 1").ok());
    EXPECT_FALSE(parse_line("a MOVE x Trash").ok());
    EXPECT_EQ(bad("a COPY $ Trash"), "COPY: SEARCHRES ($) is not supported");
}

TEST(Parser, TolerantSpacing) {
    EXPECT_TRUE(parse_line("a  LOGIN  user   pass ").ok());
    EXPECT_TRUE(parse_line("a FETCH 1 ( FLAGS  UID )").ok());
    // ...but the tag comes first: after a blank, "a" is not a tag the client
    // sent, so the reply is untagged.
    ParseResult lead = parse_line("  a NOOP");
    EXPECT_FALSE(lead.ok());
    EXPECT_EQ(lead.command.tag, "*");
    EXPECT_EQ(lead.error, "Line must start with a tag");
}

TEST(Parser, GarbageIsBadNotACrash) {
    const char* lines[] = {
        "GET / HTTP/1.1", "Host: example.com", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        "EHLO mail.example.com", "a", "a ", "*", "* OK", "+", "a {", "a {5", "a LOGIN {", "a LOGIN \"",
        "a LOGIN \"\\", "a SELECT (", "a LIST (", "a LIST ((((", "a STATUS x (", "a UID", "a UID UID FETCH 1 FLAGS",
        "a FETCH", "a FETCH 1", "a FETCH 1 (", "a FETCH 1 BODY[", "a FETCH 1 BODY[1.", "a FETCH 1 BODY[]<",
        "a FETCH 1 BODY[]<1.", "a SEARCH", "a SEARCH (", "a SEARCH OR", "a SEARCH NOT", "a SEARCH HEADER",
        "a APPEND", "a APPEND x (", "a ID (", "a ID (\"a\"", "a STORE", "a STORE 1", "a STORE 1 FLAGS (",
        "\xff\xfe", "a CREATE x (USE (",
    };
    for (const char* line : lines) {
        ParseResult r = parse_line(line);
        EXPECT_FALSE(r.ok()) << line;
        EXPECT_FALSE(r.error.empty());
        EXPECT_FALSE(r.command.tag.empty());
    }
    // Embedded NUL.
    EXPECT_FALSE(parse_line(std::string_view("a NO\0OP", 7)).ok());
    EXPECT_FALSE(parse_line(std::string_view("a NOOP\0", 7)).ok());
    EXPECT_EQ(parse_line(std::string_view("a\0 NOOP", 7)).command.tag, "*");
    EXPECT_EQ(parse_line(std::string_view("a LOGIN \"x\0y\" z", 16)).error,
              "LOGIN: Invalid character in quoted string");
}
