// A bounded, fixed-seed fuzz pass over the IMAP reader and parser: real
// client commands mutated (bytes flipped, syntax tokens and literal markers
// inserted, ranges cut and repeated), fed in random chunks with tight
// limits. Nothing may crash (the ASan build runs this), the reader must
// stay within its bounds, and every error must be a sendable BAD line.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "imap/command_reader.hpp"
#include "imap/date_time.hpp"
#include "imap/mailbox_name.hpp"
#include "imap/parser.hpp"
#include "imap/response.hpp"
#include "imap/sequence_set.hpp"

using namespace ringpost::imap;

namespace {

const std::vector<std::string> kSeeds = {
    "a1 CAPABILITY\r\n",
    "a2 LOGIN \"user@example.com\" \"p a\\\"ss\"\r\n",
    "a3 LOGIN {4+}\r\nuser {6}\r\nsecret\r\n",
    "a4 AUTHENTICATE PLAIN AGJvYgBzZWNyZXQ=\r\n",
    "a5 ID (\"name\" \"Thunderbird\" \"version\" \"115.3.1\")\r\n",
    "a6 ENABLE UTF8=ACCEPT CONDSTORE\r\n",
    "a7 SELECT \"INBOX\" (CONDSTORE)\r\n",
    "a8 EXAMINE \"&ZeVnLIqe-\" (QRESYNC (1 2 1:5))\r\n",
    "a9 CREATE \"Sent\" (USE (\\Sent))\r\n",
    "b1 RENAME \"Old\" {3+}\r\nNew\r\n",
    "b2 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (\"*\" \"Lists/%\") RETURN (CHILDREN STATUS (MESSAGES UNSEEN))\r\n",
    "b3 LSUB \"\" \"*\"\r\n",
    "b4 STATUS \"Drafts\" (UIDNEXT MESSAGES UNSEEN RECENT SIZE)\r\n",
    "b5 APPEND \"Sent\" (\\Seen \\Draft) \"17-Jul-1996 02:44:25 -0700\" {11}\r\nHello\r\nWorld (\\Seen) {3+}\r\nabc\r\n",
    "b6 UID EXPUNGE 1:3,7\r\n",
    "b7 UID SEARCH CHARSET UTF-8 OR (FROM \"a\" TO b) NOT (SEEN FLAGGED) SINCE 1-Feb-1994 LARGER 100 UID 5:*\r\n",
    "b8 SEARCH HEADER Message-ID {5+}\r\n<a@b> KEYWORD $Junk 1:*\r\n",
    "b9 UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Subject Date Message-ID)])\r\n",
    "c1 FETCH 1,3:5 (BODY[1.2.MIME] BODY.PEEK[2.HEADER.FIELDS.NOT (Received)]<0.100> BODYSTRUCTURE ENVELOPE)\r\n",
    "c2 FETCH 1:* FULL\r\n",
    "c3 UID STORE 3 +FLAGS.SILENT (\\Deleted $Forwarded)\r\n",
    "c4 STORE 1 -FLAGS \\Seen \\Flagged\r\n",
    "c5 UID MOVE 1:5 \"Trash\"\r\n",
    "c6 COPY 2 {7}\r\nArchive\r\n",
    "c7 IDLE\r\nDONE\r\n",
    "c8 NAMESPACE\r\nc9 UNSELECT\r\nd1 LOGOUT\r\n",
};

const std::vector<std::string> kTokens = {
    "{", "}", "{5}\r\n", "{3+}\r\n", "{0}\r\n", "~{2}\r\n", "{99999999999999999999+}\r\n", "{4096+}\r\n",
    "(", ")", "[", "]", "<", ">", "\"", "\\", " ", "  ", "*", ":", ",", "%", "&", "-", ".", "+",
    "\r\n", "\n", "\r", std::string(1, '\0'), "\xff", "\xc3\xa9", "NIL", "UID ", "BODY[", "BODY.PEEK[",
    "HEADER.FIELDS (", "MIME", "<0.10>", "0", "1", "4294967295", "4294967296", "NOT ", "OR ", "(((((", ")))))",
    "&ZeVnLIqe-", "&2D0-", "$", "INBOX", "RETURN (", "CHARSET ", "\"17-Jul-1996 02:44:25 -0700\"",
};

std::string mutate(std::mt19937& rng, std::string s) {
    auto below = [&](size_t n) { return n == 0 ? size_t(0) : static_cast<size_t>(rng() % n); };
    int rounds = 1 + static_cast<int>(rng() % 4);
    for (int r = 0; r < rounds; ++r) {
        switch (rng() % 7) {
        case 0:   // flip a byte
            if (!s.empty()) s[below(s.size())] = static_cast<char>(rng() & 0xff);
            break;
        case 1:   // insert a token
        case 2:
            s.insert(below(s.size() + 1), kTokens[below(kTokens.size())]);
            break;
        case 3: {   // delete a range
            if (s.empty()) break;
            size_t at = below(s.size());
            s.erase(at, 1 + below(std::min<size_t>(16, s.size() - at)));
            break;
        }
        case 4: {   // repeat a range
            if (s.empty()) break;
            size_t at = below(s.size());
            std::string piece = s.substr(at, 1 + below(32));
            size_t times = 1 + below(8);
            for (size_t i = 0; i < times && s.size() < 8192; ++i) s.insert(at, piece);
            break;
        }
        case 5:   // truncate
            s.resize(below(s.size() + 1));
            break;
        default:   // splice another command in
            s.insert(below(s.size() + 1), kSeeds[below(kSeeds.size())]);
            break;
        }
    }
    return s;
}

void check_sendable(const std::string& s) {
    ASSERT_FALSE(s.empty());
    ASSERT_EQ(s.find_first_of(std::string("\r\n\0", 3)), std::string::npos);
}

// Uses a parsed command the way a session would, to exercise the types.
void exercise(const Command& cmd, std::mt19937& rng) {
    uint32_t max = static_cast<uint32_t>(rng() % 100);
    std::string out;
    if (const auto* f = std::get_if<FetchArgs>(&cmd.args)) {
        EXPECT_FALSE(f->items.empty());
        for (const FetchItem& item : f->items) append_fetch_item_name(out, item);
        (void)f->set.count(max);
        f->set.for_each(max, [&](uint32_t n) { EXPECT_TRUE(f->set.contains(n, max)); });
    } else if (const auto* s = std::get_if<StoreArgs>(&cmd.args)) {
        append_flag_list(out, s->flags);
        (void)s->set.resolve(max);
    } else if (const auto* l = std::get_if<ListArgs>(&cmd.args)) {
        EXPECT_FALSE(l->patterns.empty());
        for (const std::string& p : l->patterns) append_mailbox(out, p);
    } else if (const auto* a = std::get_if<AppendArgs>(&cmd.args)) {
        EXPECT_FALSE(a->messages.empty());
        for (const AppendMessage& m : a->messages) out.append(m.data.substr(0, 16));
    } else if (const auto* sel = std::get_if<SelectArgs>(&cmd.args)) {
        append_mailbox(out, sel->mailbox);
    }
}

}  // namespace

TEST(Fuzz, MutatedCommandsThroughReaderAndParser) {
    std::mt19937 rng(20240601);
    ReaderLimits limits;
    limits.max_line = 256;
    limits.max_literal = 512;
    limits.max_command = 2048;
    CommandReader reader(limits);
    size_t commands = 0, parsed_ok = 0, errors = 0, fatals = 0;
    for (int iteration = 0; iteration < 5000; ++iteration) {
        std::string input = mutate(rng, kSeeds[rng() % kSeeds.size()]);
        ParseOptions options;
        options.utf8 = rng() % 4 == 0;
        size_t pos = 0;
        while (pos < input.size()) {
            size_t chunk = 1 + rng() % 64;
            std::string_view piece = std::string_view(input).substr(pos, chunk);
            size_t used = 0;
            ReadEvent ev = reader.feed(piece, used);
            ASSERT_LE(used, piece.size());
            pos += used;
            ASSERT_LE(reader.pending().text.size(), limits.max_command + limits.max_line + 2);
            switch (ev) {
            case ReadEvent::kNeedInput:
                ASSERT_EQ(used, piece.size());
                break;
            case ReadEvent::kContinue:
                if (rng() % 8 == 0) reader.abort_command();
                break;
            case ReadEvent::kCommand: {
                ++commands;
                ParseResult r = parse_command(reader.command(), options);
                check_sendable(r.command.tag);
                if (r.ok()) {
                    ++parsed_ok;
                    exercise(r.command, rng);
                    if (r.command.type == CommandType::kIdle) reader.expect_line();
                } else {
                    check_sendable(r.error);
                }
                break;
            }
            case ReadEvent::kLine:
                (void)CommandReader::is_idle_done(reader.line());
                break;
            case ReadEvent::kError:
                ++errors;
                check_sendable(reader.error().tag);
                check_sendable(std::string(reader.error().text));
                break;
            case ReadEvent::kFatal:
                ++fatals;
                reader = CommandReader(limits);
                pos = input.size();
                break;
            }
            if (HasFatalFailure()) return;
        }
        // Sometimes a connection ends mid-command: start afresh.
        if (rng() % 3 == 0) reader = CommandReader(limits);
    }
    // The corpus must reach all outcomes, or the pass tests little.
    EXPECT_GT(commands, 3000u);
    EXPECT_GT(parsed_ok, 300u);
    EXPECT_GT(errors, 10u);
    EXPECT_GT(fatals, 0u);
}

TEST(Fuzz, RandomBytesAsOneLine) {
    std::mt19937 rng(7);
    static const char kAlphabet[] = "aAzZ019 ()[]<>{}\"\\*%:,.+-~&$\r\n\x01\x7f\xff";
    const std::string alphabet(kAlphabet, sizeof kAlphabet);   // the terminating NUL included
    for (int i = 0; i < 5000; ++i) {
        std::string line;
        size_t len = rng() % 80;
        for (size_t k = 0; k < len; ++k) line += alphabet[rng() % alphabet.size()];
        std::string prefixes[] = {"", "a ", "a UID ", "a FETCH 1 ", "a SEARCH ", "a LIST ", "a STORE 1 "};
        ParseResult r = parse_command(prefixes[rng() % 7] + line);
        check_sendable(r.command.tag);
        if (!r.ok()) check_sendable(r.error);
        if (HasFatalFailure()) return;
    }
}

TEST(Fuzz, SmallParsers) {
    std::mt19937 rng(99);
    const std::string seq_chars = "0123456789:,*";
    const std::string b64_chars = "&-ABZaz09+,/=!\x80";
    const std::string date_chars = "0123456789-JanFebDec +:";
    for (int i = 0; i < 5000; ++i) {
        std::string s;
        size_t len = rng() % 24;
        for (size_t k = 0; k < len; ++k) s += seq_chars[rng() % seq_chars.size()];
        auto set = SequenceSet::parse(s);
        if (set.ok()) {
            uint32_t max = rng() % 50;
            uint64_t n = 0;
            set.value().for_each(max, [&](uint32_t v) {
                EXPECT_TRUE(set.value().contains(v, max));
                ++n;
            });
            EXPECT_EQ(n, set.value().count(max));
            auto again = SequenceSet::parse(set.value().to_string());
            ASSERT_TRUE(again.ok());
        }
        s.clear();
        for (size_t k = 0; k < len; ++k) s += b64_chars[rng() % b64_chars.size()];
        auto name = decode_mutf7(s);
        if (name.ok()) {
            // A name that decodes re-encodes to the same wire form (one spelling per name).
            EXPECT_EQ(encode_mutf7(name.value()), s);
        }
        s.clear();
        for (size_t k = 0; k < len + 4; ++k) s += date_chars[rng() % date_chars.size()];
        (void)parse_date(s);
        (void)parse_date_time(s);
    }
}
