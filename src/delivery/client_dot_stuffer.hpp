// Streaming encoder for DATA content (RFC 5321 4.5.2): doubles a '.' at the
// start of every line and ends the content with "<CRLF>.<CRLF>". It works on
// any slicing of the body and writes bounded chunks, so a 20 MiB message is
// read once from the spool's buffer and never copied whole.
//
// The stored message already has CRLF line ends; a bare LF that slipped in
// anyway is sent as CRLF, because a next hop that treats "\n.\n" as the end
// of data would otherwise let the body smuggle a second message. A bare CR
// is sent unchanged (it cannot start a line).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ringpost::delivery {

class DotStuffer {
public:
    // Encode from `in` into `out` until `in` is used up or `out` reaches
    // `limit` bytes; returns the bytes of `in` consumed. Call again with the
    // rest (and a drained `out`) to continue. `limit` must leave room for
    // two bytes (a doubled dot, or CRLF for a bare LF).
    size_t encode(std::string_view in, std::string& out, size_t limit);

    // Append the end of data: a CRLF first if the body did not end with
    // one, then ".\r\n". Resets the stuffer for the next message.
    void finish(std::string& out);

private:
    bool line_start_ = true;   // the next byte starts a line
    bool after_cr_ = false;    // the last byte written was a CR (a CRLF may be split)
};

}  // namespace ringpost::delivery
