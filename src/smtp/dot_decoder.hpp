// Streaming decoder for DATA message content (RFC 5321 4.5.2): removes dot
// stuffing and finds the terminating "<CRLF>.<CRLF>" whatever the chunking
// of the input, without ever buffering a line.
//
// A bare LF ends a line too (stored as CRLF), but the end of data is only
// ever "<CRLF>.<CRLF>": a "." line next to a bare LF ("\n.\n", "\n.\r\n",
// "\r\n.\n") is kept as data (".\r\n"). Accepting those as the end is what
// SMTP smuggling exploits (a relay that forwards them lets a sender inject a
// second message); Postfix closed it the same way (smtpd_forbid_bare_newline).
// A CR not followed by LF is ordinary data.
// It counts the decoded size and the longest line so the session can
// enforce SIZE and max_data_line; once the size limit is passed it keeps
// counting but stops appending, so an oversized message costs no memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringpost::smtp {

class DotDecoder {
public:
    struct Result {
        size_t consumed = 0;   // bytes of the input used (all, unless done)
        bool done = false;     // the end-of-data line was seen
    };

    // Start a new message. `size_limit`: decoded bytes beyond which output stops.
    void reset(uint64_t size_limit = UINT64_MAX);

    // Decode `in`, appending to `out`. When done, `consumed` points just
    // after the end-of-data line: the rest is the next command (pipelining).
    Result feed(std::string_view in, std::string& out);

    // Decoded message size so far, including what was dropped over the limit.
    uint64_t bytes() const { return bytes_; }
    bool overflowed() const { return overflow_; }
    // Longest completed line, without its line ending.
    uint64_t longest_line() const { return longest_; }

private:
    enum class State : uint8_t {
        kLineStart,   // at the start of a line: a '.' is special here
        kMid,         // inside a line
        kMidCR,       // inside a line, a CR ended the previous chunk
        kDot,         // a line started with '.'
        kDotCR,       // a line started with ".\r"
    };

    void emit(std::string& out, const char* p, size_t n);
    void end_line(uint64_t tail) {
        line_ += tail;
        if (line_ > longest_) longest_ = line_;
        line_ = 0;
    }

    uint64_t limit_ = UINT64_MAX;
    uint64_t bytes_ = 0;
    uint64_t line_ = 0;      // length of the current, unfinished line
    uint64_t longest_ = 0;
    State state_ = State::kLineStart;
    bool crlf_before_ = true;   // the current line began after a CRLF (not a bare LF)
    bool overflow_ = false;
};

}  // namespace ringpost::smtp
