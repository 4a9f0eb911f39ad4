// LineFramer: the bounded line reader shared by the SMTP and POP3 sessions
// (sans I/O). Lines are found in place in the caller's buffer: an
// incomplete line is left unconsumed, so the session itself buffers
// nothing, and a line longer than the limit is skipped as it arrives and
// reported once, at its end, so the session stays in step with a
// pipelining client (Postfix's smtpd_chat_query does the same). The caller
// never needs room for more than `max_line` bytes of one line.
//
// Two steps, so a session can look at a complete line before taking it
// (SMTP holds replies back past its soft error limit without consuming the
// line): peek() finds the next frame, take() consumes it.
#pragma once

#include <cstddef>
#include <string_view>

namespace ringpost::proto {

class LineFramer {
public:
    enum class Kind : unsigned char {
        kNeedInput,   // no complete line: keep input[end..], read more
        kLine,        // `line` (without CR LF or LF) fits the limit
        kOverlong,    // a line over the limit ended here; it was skipped
    };
    struct Frame {
        Kind kind = Kind::kNeedInput;
        std::string_view line;   // kLine only
        size_t end = 0;          // where the caller goes on: past the frame
        bool skip = false;       // kNeedInput: the line cannot fit, its bytes are dropped
    };

    // The next frame of input[pos..] under `max_line` (bytes incl. the line
    // end; at least 1). Changes nothing.
    Frame peek(std::string_view input, size_t pos, size_t max_line) const;
    // Consumes `frame` (from peek()): the position after it.
    size_t take(const Frame& frame) {
        skipping_ = frame.kind == Kind::kNeedInput ? (skipping_ || frame.skip) : false;
        return frame.end;
    }
    // Inside an overlong line, discarding it up to its end.
    bool skipping() const { return skipping_; }
    // Forget a line in progress (the session starts over, e.g. after STARTTLS).
    void reset() { skipping_ = false; }

private:
    bool skipping_ = false;
};

}  // namespace ringpost::proto
