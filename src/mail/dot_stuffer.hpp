// Streaming dot-stuffer for a message sent as POP3 multi-line response
// (RFC 1939 3) or as SMTP DATA content (RFC 5321 4.5.2): a line that
// starts with "." gets another "." and the content ends with ".\r\n". It
// works on any slicing of the message and writes bounded chunks, so RETR or
// DATA of a large message never copies it whole.
//
// POP3's TOP n k (RFC 1939 7): limit_body_lines(k) passes the header, the
// blank line that ends it, and then at most k body lines; done() turns true
// when the limit is reached, and the rest of the message is not needed.
//
// The stored message has CRLF line ends; a bare LF is sent as CRLF, because
// a peer that treats "\n.\n" as the end of the content would otherwise
// read a shortened message (or, over SMTP, let the body smuggle a second
// one). A bare CR is passed through (it cannot start a line).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringpost::mail {

class DotStuffer {
public:
    // TOP: the header and at most `lines` lines of the body.
    void limit_body_lines(uint64_t lines) {
        limited_ = true;
        lines_left_ = lines;
    }

    // Encode from `in` into `out` until `in` is used up, `out` reaches
    // `limit` bytes, or done(); returns the bytes of `in` consumed. `limit`
    // must leave room for two bytes beyond out.size() (a doubled dot, or
    // CRLF for a bare LF), or nothing may be consumed.
    size_t encode(std::string_view in, std::string& out, size_t limit);

    // The line limit of TOP is reached: the rest of the input is not sent.
    bool done() const { return done_; }

    // Append the end of the response: a CRLF first if the message did not
    // end with one, then ".\r\n". Resets the stuffer for the next message.
    void finish(std::string& out);

private:
    void end_of_line();

    bool line_start_ = true;    // the next byte starts a line
    bool after_cr_ = false;     // the last byte written was a CR (a CRLF may be split)
    bool has_content_ = false;  // the current line has a byte other than CR
    bool in_body_ = false;      // the blank line after the header was passed
    bool limited_ = false;
    bool done_ = false;
    uint64_t lines_left_ = 0;
};

}  // namespace ringpost::mail
