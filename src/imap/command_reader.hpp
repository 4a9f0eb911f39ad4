// The IMAP command reader (sans I/O): bytes in, complete commands out.
//
// An IMAP command is a line plus any literals it announces (RFC 3501 4.3,
// 7.5): a line ending in "{n}" is followed by n bytes of data and then the
// rest of the command, which may announce more. A synchronizing literal
// "{n}" makes the client wait for our "+" continuation; LITERAL+ "{n+}"
// (RFC 7888) does not. The reader gathers one whole command into its own
// buffer - never more than that one command plus the partial input after it -
// and tells the driver when to send the continuation.
//
// Limits are enforced as bytes arrive: an overlong line, a literal or a
// command over its limit becomes an error (tag and text for "tag BAD ...")
// and the reader resynchronises by itself: it skips to the end of the
// offending line and, for a too-large non-synchronizing literal, over the
// literal data the client sends regardless. A too-large synchronizing literal
// is refused without a continuation, so the client never sends its data and
// nothing is skipped. literal8 ("~{n}", RFC 3516 BINARY) is refused the same
// way: ringpost does not announce BINARY.
//
// IDLE's "DONE" and AUTHENTICATE's responses are plain lines, not commands:
// expect_line() makes the next unit a line, read without literal markers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "imap/raw_command.hpp"

namespace ringpost::imap {

struct ReaderLimits {
    size_t max_line = 64 * 1024;                         // one line, without line end and literal data
    uint64_t max_literal = 64ull * 1024 * 1024;          // one literal (APPEND's message)
    uint64_t max_command = 64ull * 1024 * 1024 + 65536;  // everything a command sends, line ends included
};

enum class ReadEvent : uint8_t {
    kNeedInput,   // all input consumed: read more
    kCommand,     // command() holds a complete command
    kLine,        // after expect_line(): line() holds the line
    kContinue,    // a synchronizing literal was announced: send "+ Ready for literal data\r\n", feed on
    kError,       // error(): reply "<tag> BAD <text>"; the reader resynchronises by itself
    kFatal,       // error(): the input cannot be resynchronised: "* BYE <text>" and close
};

enum class ReadErrorKind : uint8_t {
    kLineTooLong,
    kLiteralTooLarge,   // over max_literal (an APPEND may answer NO [TOOBIG] instead of BAD)
    kCommandTooLarge,   // over max_command
    kLiteral8,          // "~{n}": BINARY is not supported
    kBadLiteral,        // a literal size that does not fit 64 bits
};

struct ReadError {
    ReadErrorKind kind = ReadErrorKind::kLineTooLong;
    std::string tag;               // the command's tag, or "*" when none could be read
    std::string_view text;         // static text for the reply
    uint64_t literal_size = 0;     // kLiteralTooLarge / kCommandTooLarge: the size announced
};

class CommandReader {
public:
    // What the driver sends on kContinue (RFC 3501 7.5).
    static constexpr std::string_view kContinuation = "+ Ready for literal data\r\n";

    explicit CommandReader(const ReaderLimits& limits = {});

    // Limits may change between commands (tighter before authentication).
    void set_limits(const ReaderLimits& limits) { limits_ = limits; }
    const ReaderLimits& limits() const { return limits_; }

    // Consume input. `consumed` is set to how many bytes of `input` were
    // used; the caller drops them and calls again with the rest plus new
    // data. Stops after each event other than kNeedInput, which it returns
    // only with all input consumed. Feeding again releases the previous
    // command (and its views).
    ReadEvent feed(std::string_view input, size_t& consumed);

    // After kCommand: the command. Valid until the next feed().
    RawCommand command() const { return {buf_, literals_}; }
    // After kLine: the line. Valid until the next feed().
    std::string_view line() const { return buf_; }
    // After kError / kFatal.
    const ReadError& error() const { return error_; }

    // After kContinue (or kError): the command as read so far, e.g. to look
    // at an APPEND before accepting its literal.
    RawCommand pending() const { return {buf_, literals_}; }
    // After kContinue: the size of the literal the client wants to send.
    uint64_t pending_literal() const { return remaining_; }

    // Refuse the synchronizing literal just announced (after kContinue):
    // the driver answers the command itself (e.g. "tag NO [TOOBIG]"), the
    // client sends no data, and the next byte starts a new command.
    void abort_command();

    // The next unit is a plain line (IDLE's "DONE", an AUTHENTICATE
    // response), returned as kLine; then commands again.
    void expect_line();

    // True when no command is partly read (e.g. to decide whether a
    // shutdown may close the connection without cutting a command).
    bool idle() const { return state_ == State::kLine && (buf_.empty() || deliver_pending_); }

    // "DONE", case-insensitive, ends IDLE (RFC 2177).
    static bool is_idle_done(std::string_view line);

private:
    enum class State : uint8_t {
        kLine,          // reading a line
        kLiteral,       // reading literal data (remaining_ bytes left)
        kSkipLine,      // discarding up to the end of a line
        kSkipLiteral,   // discarding remaining_ bytes of literal data
        kDead,          // after kFatal: input is discarded
    };

    void reset();
    void start_line();
    void start_skip_line();
    void push_tail(const char* p, size_t n);
    ReadEvent read_line(std::string_view in, size_t& pos);
    ReadEvent skip_line(std::string_view in, size_t& pos);
    ReadEvent end_of_line();
    ReadEvent end_of_skipped_line();
    ReadEvent fail(ReadErrorKind kind, std::string_view text, uint64_t literal_size = 0);
    ReadEvent fatal(std::string_view text);
    ReadEvent refuse_literal(const LiteralMarker& m, ReadErrorKind kind, std::string_view text);
    std::string current_tag() const;

    ReaderLimits limits_;
    State state_ = State::kLine;
    std::string buf_;
    std::vector<LiteralSpan> literals_;
    size_t line_start_ = 0;      // where the current line begins in buf_
    uint64_t total_ = 0;         // wire bytes of the current command
    uint64_t remaining_ = 0;     // literal bytes still to read or skip
    bool deliver_pending_ = false;   // a command/line/error was handed out: reset on the next feed
    bool line_mode_ = false;     // expect_line() was called
    bool skip_plain_ = false;    // the line being skipped is a plain line: no literal follows it
    // While skipping a line: its last bytes, to spot a "{n+}" marker at its
    // end whose data must be skipped too.
    char tail_[24] = {};
    size_t tail_len_ = 0;
    ReadError error_;
};

}  // namespace ringpost::imap
