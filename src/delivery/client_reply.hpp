// Incremental parser for the replies of a remote SMTP server (RFC 5321 4.2):
// "ddd-text" continuation lines, then "ddd text" (or a bare "ddd"). Bytes may
// arrive split anywhere; a partial line is kept inside the parser, so the
// caller's receive buffer can be reused at once.
//
// Checks: three digits with a valid class (2..5), the same code on every
// line, a bounded line length and line count (a hostile server must not make
// us buffer without limit). Anything else is a protocol error, after which
// the parser stays in error: the connection cannot be trusted any more.
// Enhanced status codes (RFC 2034/3463) are taken from the first line when
// their class matches the reply code, and stripped from every line's text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringpost::delivery {

struct ServerReply {
    uint16_t code = 0;
    std::string enhanced;            // "5.1.1", empty when the server gave none
    std::vector<std::string> lines;  // text of each line, without code and enhanced code

    int klass() const { return code / 100; }   // 2, 3, 4 or 5
    bool positive() const { return klass() == 2 || klass() == 3; }
    // "550 5.1.1 text of line 1 text of line 2": for logs and DSN diagnostics.
    std::string to_string() const;
};

class ReplyParser {
public:
    // Generous beyond RFC 5321's 512 octets: real servers send long lines
    // (Exchange banners, EHLO with many AUTH mechanisms).
    static constexpr size_t kMaxLine = 4096;
    static constexpr size_t kMaxLines = 128;

    enum class Status { kNeedMore, kReply, kError };

    // Parse from `in` up to the end of one reply. `consumed` is set to the
    // bytes used: all of `in` for kNeedMore, up to the reply's last CRLF
    // for kReply (the rest belongs to the next reply), anything for kError.
    Status feed(std::string_view in, size_t& consumed);

    // After kReply: the reply, moved out; the parser is ready for the next.
    ServerReply take();

    const std::string& error() const { return error_; }
    // True between the first byte of a reply and its last line.
    bool in_reply() const { return !done_ && (!line_.empty() || !reply_.lines.empty()); }

private:
    Status fail(std::string message);
    // One complete line (without line ending): kNeedMore if a continuation
    // line, kReply if the last one.
    Status line(std::string_view text);

    std::string line_;          // the unfinished line
    ServerReply reply_;
    bool done_ = false;         // reply_ is complete, waiting for take()
    std::string error_;
};

}  // namespace ringpost::delivery
