// Streaming DATA decoder (see dot_decoder.hpp).
//
// The common case - CRLF lines that do not start with '.' - is handled by a
// memchr() per line and a single append per input chunk: bytes that pass
// through unchanged are tracked as a "run" and copied only when something
// must be altered (a stuffed dot dropped, a bare LF widened) or the chunk
// ends. The state machine is only consulted at line starts and at chunk
// boundaries that split a CR LF or a ".\r\n".
#include "smtp/dot_decoder.hpp"

#include <cstring>

namespace ringpost::smtp {

void DotDecoder::reset(uint64_t size_limit) {
    *this = DotDecoder{};
    limit_ = size_limit;
}

void DotDecoder::emit(std::string& out, const char* p, size_t n) {
    if (n == 0) return;
    bytes_ += n;
    if (overflow_) return;
    if (bytes_ > limit_) {
        // The message is lost anyway; stop growing the buffer.
        overflow_ = true;
        return;
    }
    out.append(p, n);
}

// Long on purpose: one loop over the input bytes whose states share the
// locals `p` and `run` (the verbatim run not yet copied); split into a
// function per state, each would take and return both, at a call per line
// start on the hot path of every DATA byte.
DotDecoder::Result DotDecoder::feed(std::string_view in, std::string& out) {
    const char* const begin = in.data();
    const char* const end = begin + in.size();
    const char* p = begin;
    const char* run = p;   // start of bytes not yet emitted, all verbatim output

    while (p < end) {
        switch (state_) {
        case State::kMid: {
            const char* nl = static_cast<const char*>(std::memchr(p, '\n', size_t(end - p)));
            if (nl == nullptr) {
                // The line goes on in the next chunk. A trailing CR is held
                // back: only the next byte tells whether it is half a CRLF.
                const char* stop = end[-1] == '\r' ? end - 1 : end;
                line_ += uint64_t(stop - p);
                emit(out, run, size_t(stop - run));
                if (stop != end) state_ = State::kMidCR;
                return {in.size(), false};
            }
            // Only a CR inside this line's unprocessed part counts: at nl == p
            // the byte before p (if any) was the previous line's LF or was
            // already handled by the kMidCR/kDotCR states.
            bool crlf = nl > p && nl[-1] == '\r';
            end_line(uint64_t((crlf ? nl - 1 : nl) - p));
            if (!crlf) {
                // Bare LF: store the line with a proper CRLF.
                emit(out, run, size_t(nl - run));
                emit(out, "\r\n", 2);
                run = nl + 1;
            }
            p = nl + 1;
            state_ = State::kLineStart;
            crlf_before_ = crlf;
            break;
        }
        case State::kLineStart:
            if (*p == '.') {
                emit(out, run, size_t(p - run));
                run = ++p;   // the dot is dropped: stuffing, or the end marker
                state_ = State::kDot;
            } else {
                state_ = State::kMid;
            }
            break;
        case State::kDot:
            if (*p == '\n') {
                // ".<LF>": never the end (see the header); the line is data.
                emit(out, ".\r\n", 3);
                end_line(1);
                run = ++p;
                state_ = State::kLineStart;
                crlf_before_ = false;
                break;
            }
            if (*p == '\r') {
                run = ++p;   // not emitted yet: ".\r\n" is the end marker
                state_ = State::kDotCR;
            } else {
                state_ = State::kMid;   // ".x" -> "x"
            }
            break;
        case State::kDotCR:
            if (*p == '\n') {
                state_ = State::kLineStart;
                if (crlf_before_) return {size_t(p + 1 - begin), true};
                // "<LF>.<CRLF>": data, not the end.
                emit(out, ".\r\n", 3);
                end_line(1);
                run = ++p;
                crlf_before_ = true;
                break;
            }
            // ".\rx": a stuffed line that starts with a bare CR.
            emit(out, "\r", 1);
            line_ += 1;
            state_ = State::kMid;
            break;
        case State::kMidCR:
            if (*p == '\n') {
                emit(out, "\r\n", 2);
                end_line(0);
                run = ++p;
                state_ = State::kLineStart;
                crlf_before_ = true;
            } else {
                emit(out, "\r", 1);   // a bare CR inside the line
                line_ += 1;
                state_ = State::kMid;
            }
            break;
        }
    }
    emit(out, run, size_t(end - run));
    return {in.size(), false};
}

}  // namespace ringpost::smtp
