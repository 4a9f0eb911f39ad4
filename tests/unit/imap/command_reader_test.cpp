// Tests for the IMAP command reader (src/imap/command_reader.hpp): lines,
// literals (synchronizing, LITERAL+, literal8), input split anywhere,
// limits and resynchronisation, IDLE lines.
#include "imap/command_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace ringpost::imap;

namespace {

// Everything a reader produced from some input, in order.
struct Outcome {
    std::vector<std::string> commands;            // command text
    std::vector<std::vector<LiteralSpan>> literals;
    std::vector<std::string> lines;               // kLine
    std::vector<std::string> errors;              // "tag text"
    int continues = 0;
    int fatals = 0;
};

// Feeds `input` as if it arrived in chunks of at most `chunk` bytes (0: all
// at once), calling the reader until everything received is consumed.
Outcome run(CommandReader& r, std::string_view input, size_t chunk = 0) {
    Outcome o;
    size_t pos = 0;     // consumed by the reader
    size_t avail = 0;   // received so far
    while (true) {
        if (pos == avail) {
            if (avail == input.size()) break;
            avail = chunk == 0 ? input.size() : std::min(input.size(), avail + chunk);
        }
        size_t used = 0;
        ReadEvent ev = r.feed(input.substr(pos, avail - pos), used);
        pos += used;
        switch (ev) {
        case ReadEvent::kNeedInput:
            EXPECT_EQ(pos, avail);
            break;
        case ReadEvent::kCommand:
            o.commands.emplace_back(r.command().text);
            o.literals.emplace_back(r.command().literals.begin(), r.command().literals.end());
            break;
        case ReadEvent::kLine:
            o.lines.emplace_back(r.line());
            break;
        case ReadEvent::kContinue:
            ++o.continues;
            break;
        case ReadEvent::kError:
            o.errors.push_back(r.error().tag + " " + std::string(r.error().text));
            break;
        case ReadEvent::kFatal:
            ++o.fatals;
            return o;
        }
    }
    return o;
}

}  // namespace

TEST(CommandReader, ReadsPipelinedLines) {
    CommandReader r;
    std::string in = "a1 NOOP\r\na2 CAPABILITY\r\na3 LOGOUT\n";
    Outcome o = run(r, in);
    ASSERT_EQ(o.commands.size(), 3u);
    EXPECT_EQ(o.commands[0], "a1 NOOP");
    EXPECT_EQ(o.commands[1], "a2 CAPABILITY");
    EXPECT_EQ(o.commands[2], "a3 LOGOUT");   // bare LF accepted
    EXPECT_TRUE(o.errors.empty());
    EXPECT_TRUE(r.idle());
}

TEST(CommandReader, StopsAfterEachCommand) {
    CommandReader r;
    std::string_view in = "a1 NOOP\r\na2 NOOP\r\n";
    size_t used = 0;
    EXPECT_EQ(r.feed(in, used), ReadEvent::kCommand);
    EXPECT_EQ(used, 9u);
    EXPECT_EQ(r.command().text, "a1 NOOP");
    EXPECT_EQ(r.feed(in.substr(9), used), ReadEvent::kCommand);
    EXPECT_EQ(r.command().text, "a2 NOOP");
    EXPECT_EQ(r.feed({}, used), ReadEvent::kNeedInput);
    EXPECT_TRUE(r.idle());
}

TEST(CommandReader, PartialLineIsKept) {
    CommandReader r;
    size_t used = 0;
    EXPECT_EQ(r.feed("a1 NO", used), ReadEvent::kNeedInput);
    EXPECT_EQ(used, 5u);
    EXPECT_FALSE(r.idle());
    EXPECT_EQ(r.feed("OP\r", used), ReadEvent::kNeedInput);
    EXPECT_EQ(r.feed("\n", used), ReadEvent::kCommand);
    EXPECT_EQ(r.command().text, "a1 NOOP");
}

TEST(CommandReader, SynchronizingLiteralAsksForContinuation) {
    CommandReader r;
    size_t used = 0;
    std::string_view line = "a1 LOGIN {3}\r\n";
    EXPECT_EQ(r.feed(line, used), ReadEvent::kContinue);
    EXPECT_EQ(used, line.size());
    EXPECT_EQ(r.pending_literal(), 3u);
    EXPECT_EQ(r.pending().text, "a1 LOGIN {3}");
    EXPECT_EQ(r.feed("bob {6}\r\n", used), ReadEvent::kContinue);
    EXPECT_EQ(r.feed("secret\r\n", used), ReadEvent::kCommand);
    RawCommand c = r.command();
    EXPECT_EQ(c.text, "a1 LOGIN {3}bob {6}secret");
    ASSERT_EQ(c.literals.size(), 2u);
    EXPECT_EQ(c.literals[0].offset, 12u);
    EXPECT_EQ(c.literals[0].size, 3u);
    EXPECT_EQ(c.text.substr(c.literals[1].offset, c.literals[1].size), "secret");
}

TEST(CommandReader, LiteralPlusNeedsNoContinuation) {
    CommandReader r;
    Outcome o = run(r, "a1 LOGIN {3+}\r\nbob {6+}\r\nsecret\r\na2 NOOP\r\n");
    EXPECT_EQ(o.continues, 0);
    ASSERT_EQ(o.commands.size(), 2u);
    EXPECT_EQ(o.commands[0], "a1 LOGIN {3+}bob {6+}secret");
    EXPECT_EQ(o.commands[1], "a2 NOOP");
}

TEST(CommandReader, LiteralDataIsOpaque) {
    // CRLF, braces and NUL inside literal data are data.
    CommandReader r;
    std::string data("x\r\n{5}\r\n\0y", 10);
    std::string in = "a1 APPEND INBOX {" + std::to_string(data.size()) + "+}\r\n" + data + "\r\n";
    Outcome o = run(r, in);
    ASSERT_EQ(o.commands.size(), 1u);
    EXPECT_EQ(o.commands[0], "a1 APPEND INBOX {10+}" + data);
    ASSERT_EQ(o.literals[0].size(), 1u);
    EXPECT_EQ(o.literals[0][0].size, 10u);
}

TEST(CommandReader, ZeroLengthLiterals) {
    CommandReader r;
    Outcome o = run(r, "a1 LOGIN {0}\r\n {0+}\r\n\r\n");
    EXPECT_EQ(o.continues, 1);
    ASSERT_EQ(o.commands.size(), 1u);
    EXPECT_EQ(o.commands[0], "a1 LOGIN {0} {0+}");
    EXPECT_EQ(o.literals[0].size(), 2u);
}

TEST(CommandReader, SplitAtEveryBytePosition) {
    const std::string in =
        "A1 LOGIN {4}\r\nuser {6+}\r\npa\r\nss\r\nA2 APPEND Drafts (\\Seen) {11}\r\nHello\r\nWorld\r\n"
        "A3 UID FETCH 1:* (FLAGS)\r\n";
    CommandReader whole_reader;
    Outcome whole = run(whole_reader, in);
    ASSERT_EQ(whole.commands.size(), 3u);
    EXPECT_EQ(whole.continues, 2);
    EXPECT_EQ(whole.commands[1], "A2 APPEND Drafts (\\Seen) {11}Hello\r\nWorld");
    for (size_t chunk = 1; chunk <= in.size(); ++chunk) {
        CommandReader r;
        Outcome o = run(r, in, chunk);
        EXPECT_EQ(o.commands, whole.commands) << "chunk " << chunk;
        EXPECT_EQ(o.continues, whole.continues) << "chunk " << chunk;
        EXPECT_TRUE(o.errors.empty()) << "chunk " << chunk;
        ASSERT_EQ(o.literals.size(), whole.literals.size());
        for (size_t i = 0; i < o.literals.size(); ++i) {
            ASSERT_EQ(o.literals[i].size(), whole.literals[i].size());
            for (size_t k = 0; k < o.literals[i].size(); ++k) {
                EXPECT_EQ(o.literals[i][k].offset, whole.literals[i][k].offset);
                EXPECT_EQ(o.literals[i][k].size, whole.literals[i][k].size);
            }
        }
    }
    // Two feeds split at each position.
    for (size_t split = 0; split <= in.size(); ++split) {
        CommandReader r;
        Outcome o;
        std::string_view parts[2] = {std::string_view(in).substr(0, split), std::string_view(in).substr(split)};
        for (std::string_view part : parts) {
            Outcome p = run(r, part);
            o.commands.insert(o.commands.end(), p.commands.begin(), p.commands.end());
            o.continues += p.continues;
        }
        EXPECT_EQ(o.commands, whole.commands) << "split " << split;
        EXPECT_EQ(o.continues, whole.continues) << "split " << split;
    }
}

TEST(CommandReader, LineTooLongIsSkippedAndReaderResynchronises) {
    ReaderLimits limits;
    limits.max_line = 64;
    CommandReader r(limits);
    std::string in = "t1 NOOP " + std::string(200, 'x') + "\r\nt2 NOOP\r\n";
    for (size_t chunk : {size_t(0), size_t(1), size_t(7), size_t(64)}) {
        Outcome o = run(r, in, chunk);
        ASSERT_EQ(o.errors.size(), 1u) << chunk;
        EXPECT_EQ(o.errors[0], "t1 Command line too long");
        ASSERT_EQ(o.commands.size(), 1u) << chunk;
        EXPECT_EQ(o.commands[0], "t2 NOOP");
    }
}

TEST(CommandReader, LineAtTheLimitIsAccepted) {
    ReaderLimits limits;
    limits.max_line = 16;
    CommandReader r(limits);
    std::string line(16, 'a');
    line[1] = ' ';
    Outcome o = run(r, line + "\r\n" + line + "\n" + line + "b\r\n", 5);
    EXPECT_EQ(o.commands.size(), 2u);
    EXPECT_EQ(o.errors.size(), 1u);
}

TEST(CommandReader, ErrorIsReportedBeforeTheLineEnds) {
    // An endless line: the error comes as soon as the limit is passed and
    // the reader never holds more than the limit.
    ReaderLimits limits;
    limits.max_line = 100;
    CommandReader r(limits);
    size_t used = 0;
    EXPECT_EQ(r.feed("tag1 SEARCH ", used), ReadEvent::kNeedInput);
    std::string chunk(50, 'z');
    ReadEvent ev = ReadEvent::kNeedInput;
    int n = 0;
    while (ev == ReadEvent::kNeedInput && n < 10) {
        ev = r.feed(chunk, used);
        ++n;
        EXPECT_LE(r.pending().text.size(), 101u);
    }
    ASSERT_EQ(ev, ReadEvent::kError);
    EXPECT_EQ(r.error().tag, "tag1");
    EXPECT_EQ(r.error().kind, ReadErrorKind::kLineTooLong);
    for (int i = 0; i < 1000; ++i) {
        EXPECT_EQ(r.feed(chunk, used), ReadEvent::kNeedInput);
        EXPECT_EQ(r.pending().text.size(), 0u);
    }
    EXPECT_EQ(r.feed("\r\nt2 NOOP\r\n", used), ReadEvent::kCommand);
    EXPECT_EQ(r.command().text, "t2 NOOP");
}

TEST(CommandReader, ErrorWithoutTagUsesStar) {
    ReaderLimits limits;
    limits.max_line = 10;
    CommandReader r(limits);
    Outcome o = run(r, std::string(40, '(') + "\r\n");
    ASSERT_EQ(o.errors.size(), 1u);
    EXPECT_EQ(o.errors[0], "* Command line too long");
}

TEST(CommandReader, TooLargeSynchronizingLiteralIsRefusedWithoutWaiting) {
    ReaderLimits limits;
    limits.max_literal = 1000;
    CommandReader r(limits);
    size_t used = 0;
    std::string_view line = "a5 APPEND INBOX {1001}\r\n";
    EXPECT_EQ(r.feed(line, used), ReadEvent::kError);
    EXPECT_EQ(used, line.size());
    EXPECT_EQ(r.error().kind, ReadErrorKind::kLiteralTooLarge);
    EXPECT_EQ(r.error().tag, "a5");
    EXPECT_EQ(r.error().literal_size, 1001u);
    // The client got no continuation, so it sends the next command.
    EXPECT_EQ(r.feed("a6 NOOP\r\n", used), ReadEvent::kCommand);
    EXPECT_EQ(r.command().text, "a6 NOOP");
}

TEST(CommandReader, TooLargeNonSynchronizingLiteralIsSkipped) {
    ReaderLimits limits;
    limits.max_literal = 10;
    CommandReader r(limits);
    // The data contains what looks like commands: it must not be read as such.
    std::string data = "x1 LOGOUT\r\nx2 NOOP\r\n";
    std::string in = "a5 APPEND INBOX {" + std::to_string(data.size()) + "+}\r\n" + data + " trailing {3+}\r\nabc\r\na6 NOOP\r\n";
    for (size_t chunk : {size_t(0), size_t(1), size_t(3)}) {
        Outcome o = run(r, in, chunk);
        ASSERT_EQ(o.errors.size(), 1u);
        EXPECT_EQ(o.errors[0], "a5 Literal too large");
        ASSERT_EQ(o.commands.size(), 1u) << chunk;
        EXPECT_EQ(o.commands[0], "a6 NOOP");
    }
}

TEST(CommandReader, OverlongContinuationLineKeepsTheTag) {
    ReaderLimits limits;
    limits.max_line = 40;
    CommandReader r(limits);
    std::string in = "a1 LOGIN {3+}\r\nbob " + std::string(100, 'p') + "\r\na2 NOOP\r\n";
    for (size_t chunk : {size_t(0), size_t(1), size_t(9)}) {
        Outcome o = run(r, in, chunk);
        ASSERT_EQ(o.errors.size(), 1u);
        EXPECT_EQ(o.errors[0], "a1 Command line too long");
        ASSERT_EQ(o.commands.size(), 1u);
        EXPECT_EQ(o.commands[0], "a2 NOOP");
    }
}

TEST(CommandReader, CommandTooLarge) {
    ReaderLimits limits;
    limits.max_literal = 100;
    limits.max_command = 150;
    CommandReader r(limits);
    std::string lit(90, 'd');
    std::string in = "c1 X {90+}\r\n" + lit + " {90+}\r\n" + lit + "\r\nc2 NOOP\r\n";
    Outcome o = run(r, in);
    ASSERT_EQ(o.errors.size(), 1u);
    EXPECT_EQ(o.errors[0], "c1 Command too large");
    ASSERT_EQ(o.commands.size(), 1u);
    EXPECT_EQ(o.commands[0], "c2 NOOP");

    // Many small non-synchronizing literals add up too.
    std::string many = "c3 X";
    for (int i = 0; i < 60; ++i) many += " {1+}\r\nx";
    many += "\r\nc4 NOOP\r\n";
    o = run(r, many, 13);
    ASSERT_EQ(o.errors.size(), 1u);
    EXPECT_EQ(o.errors[0], "c3 Command too large");
    ASSERT_EQ(o.commands.size(), 1u);
    EXPECT_EQ(o.commands[0], "c4 NOOP");
}

TEST(CommandReader, Literal8IsRefused) {
    CommandReader r;
    Outcome o = run(r, "b1 APPEND INBOX ~{5}\r\nb2 APPEND INBOX ~{5+}\r\nhello\r\nb3 NOOP\r\n");
    EXPECT_EQ(o.continues, 0);
    ASSERT_EQ(o.errors.size(), 2u);
    EXPECT_EQ(o.errors[0], "b1 literal8 is not supported");
    EXPECT_EQ(o.errors[1], "b2 literal8 is not supported");
    ASSERT_EQ(o.commands.size(), 1u);
    EXPECT_EQ(o.commands[0], "b3 NOOP");
}

TEST(CommandReader, LiteralSizeOverflow) {
    CommandReader r;
    Outcome o = run(r, "b1 LOGIN {99999999999999999999}\r\nb2 NOOP\r\n");
    ASSERT_EQ(o.errors.size(), 1u);
    EXPECT_EQ(o.errors[0], "b1 Literal size out of range");
    ASSERT_EQ(o.commands.size(), 1u);
    // A non-synchronizing one cannot be skipped: the connection must close.
    CommandReader r2;
    o = run(r2, "b1 LOGIN {99999999999999999999+}\r\nb2 NOOP\r\n");
    EXPECT_EQ(o.fatals, 1);
    EXPECT_TRUE(o.commands.empty());
}

TEST(CommandReader, BracesInsideALineAreNotLiterals) {
    CommandReader r;
    Outcome o = run(r, "a1 LOGIN {3} x\r\na2 X {abc}\r\na3 X {}\r\na4 X {3+ }\r\n");
    EXPECT_EQ(o.continues, 0);
    EXPECT_EQ(o.commands.size(), 4u);
}

TEST(CommandReader, OverlongLineEndingInLiteralPlusSkipsItsData) {
    ReaderLimits limits;
    limits.max_line = 32;
    CommandReader r(limits);
    std::string in = "a1 SEARCH " + std::string(50, 'x') + " {9+}\r\nz9 LOGOUT\r\na2 NOOP\r\n";
    for (size_t chunk : {size_t(0), size_t(1), size_t(5)}) {
        Outcome o = run(r, in, chunk);
        ASSERT_EQ(o.errors.size(), 1u);
        ASSERT_EQ(o.commands.size(), 1u) << chunk;
        EXPECT_EQ(o.commands[0], "a2 NOOP");
    }
}

TEST(CommandReader, AbortCommandRefusesALiteral) {
    CommandReader r;
    size_t used = 0;
    EXPECT_EQ(r.feed("a1 APPEND Nope {5}\r\n", used), ReadEvent::kContinue);
    EXPECT_EQ(r.pending_literal(), 5u);
    r.abort_command();   // the driver answers "a1 NO [TRYCREATE] ..."
    EXPECT_TRUE(r.idle());
    EXPECT_EQ(r.feed("a2 NOOP\r\n", used), ReadEvent::kCommand);
    EXPECT_EQ(r.command().text, "a2 NOOP");
}

TEST(CommandReader, ExpectLineForIdle) {
    CommandReader r;
    size_t used = 0;
    EXPECT_EQ(r.feed("a1 IDLE\r\n", used), ReadEvent::kCommand);
    r.expect_line();
    // A line ending in a literal marker is still just a line.
    EXPECT_EQ(r.feed("DONE {5}\r\n", used), ReadEvent::kLine);
    EXPECT_EQ(r.line(), "DONE {5}");
    EXPECT_FALSE(CommandReader::is_idle_done(r.line()));
    r.expect_line();
    EXPECT_EQ(r.feed("done\r\na2 NOOP\r\n", used), ReadEvent::kLine);
    EXPECT_TRUE(CommandReader::is_idle_done(r.line()));
    EXPECT_EQ(used, 6u);
    // Then commands again.
    EXPECT_EQ(r.feed("a2 NOOP\r\n", used), ReadEvent::kCommand);
}

TEST(CommandReader, OverlongIdleLine) {
    ReaderLimits limits;
    limits.max_line = 20;
    CommandReader r(limits);
    r.expect_line();
    Outcome o = run(r, std::string(30, 'D') + " {4+}\r\na2 NOOP\r\n");
    ASSERT_EQ(o.errors.size(), 1u);
    EXPECT_EQ(o.errors[0], "* Command line too long");
    // A plain line is never followed by literal data: a2 is read.
    ASSERT_EQ(o.commands.size(), 1u);
    EXPECT_EQ(o.commands[0], "a2 NOOP");
}

TEST(CommandReader, LimitsCanBeTightened) {
    CommandReader r;
    ReaderLimits pre_auth;
    pre_auth.max_literal = 8;
    r.set_limits(pre_auth);
    Outcome o = run(r, "a1 LOGIN {9}\r\n");
    ASSERT_EQ(o.errors.size(), 1u);
    r.set_limits(ReaderLimits{});
    o = run(r, "a1 LOGIN {9}\r\n123456789 x\r\n");
    EXPECT_EQ(o.continues, 1);
    EXPECT_EQ(o.commands.size(), 1u);
}

TEST(CommandReader, EmptyLinesAreEmptyCommands) {
    CommandReader r;
    Outcome o = run(r, "\r\n\na1 NOOP\r\n");
    ASSERT_EQ(o.commands.size(), 3u);
    EXPECT_EQ(o.commands[0], "");
    EXPECT_EQ(o.commands[2], "a1 NOOP");
}

TEST(CommandReader, FindLiteralMarker) {
    auto m = find_literal_marker("a LOGIN {12}");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->begin, 8u);
    EXPECT_EQ(m->size, 12u);
    EXPECT_TRUE(m->synchronizing);
    m = find_literal_marker("x {0+}");
    ASSERT_TRUE(m);
    EXPECT_FALSE(m->synchronizing);
    EXPECT_EQ(m->size, 0u);
    m = find_literal_marker("x ~{7}");
    ASSERT_TRUE(m);
    EXPECT_TRUE(m->binary);
    EXPECT_EQ(m->begin, 2u);
    m = find_literal_marker("{18446744073709551615}");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->size, UINT64_MAX);
    EXPECT_FALSE(m->too_big);
    m = find_literal_marker("{18446744073709551616}");
    ASSERT_TRUE(m);
    EXPECT_TRUE(m->too_big);
    EXPECT_FALSE(find_literal_marker("{}"));
    EXPECT_FALSE(find_literal_marker("{+}"));
    EXPECT_FALSE(find_literal_marker("{1 }"));
    EXPECT_FALSE(find_literal_marker("{1}x"));
    EXPECT_FALSE(find_literal_marker("1}"));
    EXPECT_FALSE(find_literal_marker("}"));
    EXPECT_FALSE(find_literal_marker(""));
}
