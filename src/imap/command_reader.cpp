// The IMAP command reader (see command_reader.hpp).
//
// Bytes are copied into buf_ as they arrive: line text without its line
// end, then the literal data right after the line that announced it, so the
// parser sees one contiguous text. Limits are checked before anything is
// appended, which keeps buf_ within max_command plus one line however the
// input is split.
#include "imap/command_reader.hpp"

#include <algorithm>
#include <cstring>

#include "imap/chars.hpp"

namespace ringpost::imap {

namespace {

// Above this, a finished command's buffer is released rather than kept for
// the next one: an APPEND of 50 MiB must not pin 50 MiB per idle connection.
constexpr size_t kKeepCapacity = 256 * 1024;
constexpr size_t kKeepLiterals = 256;

}  // namespace

CommandReader::CommandReader(const ReaderLimits& limits) : limits_(limits) {}

bool CommandReader::is_idle_done(std::string_view line) {
    if (line.size() != 4) return false;
    return to_upper(line[0]) == 'D' && to_upper(line[1]) == 'O' && to_upper(line[2]) == 'N' &&
           to_upper(line[3]) == 'E';
}

void CommandReader::reset() {
    if (buf_.capacity() > kKeepCapacity) {
        std::string().swap(buf_);
    } else {
        buf_.clear();
    }
    if (literals_.capacity() > kKeepLiterals) {
        std::vector<LiteralSpan>().swap(literals_);
    } else {
        literals_.clear();
    }
    line_start_ = 0;
    total_ = 0;
    deliver_pending_ = false;
}

void CommandReader::abort_command() {
    reset();
    state_ = State::kLine;
    remaining_ = 0;
}

void CommandReader::expect_line() { line_mode_ = true; }

void CommandReader::start_line() {
    state_ = State::kLine;
    line_start_ = buf_.size();
}

void CommandReader::start_skip_line() {
    state_ = State::kSkipLine;
    tail_len_ = 0;
}

void CommandReader::push_tail(const char* p, size_t n) {
    constexpr size_t cap = sizeof tail_;
    if (n >= cap) {
        std::memcpy(tail_, p + n - cap, cap);
        tail_len_ = cap;
        return;
    }
    if (tail_len_ + n > cap) {
        size_t drop = tail_len_ + n - cap;
        std::memmove(tail_, tail_ + drop, tail_len_ - drop);
        tail_len_ -= drop;
    }
    std::memcpy(tail_ + tail_len_, p, n);
    tail_len_ += n;
}

std::string CommandReader::current_tag() const {
    size_t n = 0;
    while (n < buf_.size() && is_tag_char(buf_[n])) ++n;
    // The tag must be followed by a space. A line cut at the limit inside
    // its first word has no tag we could echo (the client never sent that
    // prefix as one).
    if (n == 0 || n >= buf_.size() || buf_[n] != ' ') return "*";
    return buf_.substr(0, n);
}

ReadEvent CommandReader::fail(ReadErrorKind kind, std::string_view text, uint64_t literal_size) {
    error_.kind = kind;
    error_.text = text;
    error_.literal_size = literal_size;
    error_.tag = line_mode_ ? std::string("*") : current_tag();
    skip_plain_ = line_mode_;
    line_mode_ = false;
    deliver_pending_ = true;
    return ReadEvent::kError;
}

ReadEvent CommandReader::fatal(std::string_view text) {
    fail(ReadErrorKind::kBadLiteral, text);
    state_ = State::kDead;
    return ReadEvent::kFatal;
}

ReadEvent CommandReader::refuse_literal(const LiteralMarker& m, ReadErrorKind kind, std::string_view text) {
    ReadEvent ev = fail(kind, text, m.size);
    if (m.synchronizing) {
        // Without our continuation the client sends nothing more for this
        // command: the next byte starts a new one.
        start_line();
    } else {
        // The client sends the data regardless: skip it, then the rest of
        // the command.
        skip_plain_ = false;
        remaining_ = m.size;
        if (remaining_ > 0) {
            state_ = State::kSkipLiteral;
        } else {
            start_skip_line();
        }
    }
    return ev;
}

ReadEvent CommandReader::feed(std::string_view in, size_t& consumed) {
    if (deliver_pending_) reset();
    size_t pos = 0;
    ReadEvent ev = ReadEvent::kNeedInput;
    while (pos < in.size() && ev == ReadEvent::kNeedInput) {
        switch (state_) {
        case State::kLine:
            ev = read_line(in, pos);
            break;
        case State::kLiteral: {
            size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, in.size() - pos));
            buf_.append(in.data() + pos, take);
            pos += take;
            total_ += take;
            remaining_ -= take;
            if (remaining_ == 0) start_line();
            break;
        }
        case State::kSkipLine:
            ev = skip_line(in, pos);
            break;
        case State::kSkipLiteral: {
            size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, in.size() - pos));
            pos += take;
            remaining_ -= take;
            if (remaining_ == 0) start_skip_line();
            break;
        }
        case State::kDead:
            pos = in.size();
            break;
        }
    }
    consumed = pos;
    return ev;
}

ReadEvent CommandReader::read_line(std::string_view in, size_t& pos) {
    const char* p = in.data() + pos;
    size_t avail = in.size() - pos;
    const char* lf = static_cast<const char*>(std::memchr(p, '\n', avail));
    size_t seg = lf != nullptr ? static_cast<size_t>(lf - p) : avail;
    size_t wire = seg + (lf != nullptr ? 1 : 0);
    size_t have = buf_.size() - line_start_;
    size_t len = have + seg;   // may still include the CR of CRLF

    bool too_long;
    if (lf != nullptr) {
        char last = seg > 0 ? p[seg - 1] : (have > 0 ? buf_.back() : '\0');
        too_long = (last == '\r' ? len - 1 : len) > limits_.max_line;
    } else {
        too_long = len > limits_.max_line + 1;
    }
    bool too_big = total_ + wire > limits_.max_command;

    if (too_long || too_big) {
        // The end of the line so far, to spot a literal marker there.
        tail_len_ = 0;
        size_t from_buf = std::min(have, sizeof tail_);
        push_tail(buf_.data() + buf_.size() - from_buf, from_buf);
        push_tail(p, seg);
        // Keep what fits of a first line, so the error can carry the tag.
        if (line_start_ == 0 && have <= limits_.max_line) {
            buf_.append(p, std::min(seg, limits_.max_line + 1 - have));
        }
        ReadEvent ev = too_long ? fail(ReadErrorKind::kLineTooLong, "Command line too long")
                                : fail(ReadErrorKind::kCommandTooLarge, "Command too large");
        pos += wire;
        state_ = State::kSkipLine;
        if (lf != nullptr) {
            ReadEvent next = end_of_skipped_line();
            if (next == ReadEvent::kFatal) return next;
        }
        return ev;
    }

    buf_.append(p, seg);
    total_ += wire;
    pos += wire;
    if (lf == nullptr) return ReadEvent::kNeedInput;
    if (buf_.size() > line_start_ && buf_.back() == '\r') buf_.pop_back();
    return end_of_line();
}

ReadEvent CommandReader::end_of_line() {
    if (line_mode_) {
        line_mode_ = false;
        deliver_pending_ = true;
        return ReadEvent::kLine;
    }
    std::optional<LiteralMarker> m = find_literal_marker(std::string_view(buf_).substr(line_start_));
    if (!m) {
        deliver_pending_ = true;
        return ReadEvent::kCommand;
    }
    if (m->too_big) {
        if (!m->synchronizing) return fatal("Literal size out of range");
        ReadEvent ev = fail(ReadErrorKind::kBadLiteral, "Literal size out of range");
        start_line();
        return ev;
    }
    if (m->binary) return refuse_literal(*m, ReadErrorKind::kLiteral8, "literal8 is not supported");
    if (m->size > limits_.max_literal) return refuse_literal(*m, ReadErrorKind::kLiteralTooLarge, "Literal too large");
    if (total_ + m->size > limits_.max_command) {
        return refuse_literal(*m, ReadErrorKind::kCommandTooLarge, "Command too large");
    }
    literals_.push_back({buf_.size(), static_cast<size_t>(m->size)});
    remaining_ = m->size;
    if (remaining_ == 0) {
        start_line();
    } else {
        state_ = State::kLiteral;
    }
    return m->synchronizing ? ReadEvent::kContinue : ReadEvent::kNeedInput;
}

ReadEvent CommandReader::skip_line(std::string_view in, size_t& pos) {
    const char* p = in.data() + pos;
    size_t avail = in.size() - pos;
    const char* lf = static_cast<const char*>(std::memchr(p, '\n', avail));
    size_t seg = lf != nullptr ? static_cast<size_t>(lf - p) : avail;
    push_tail(p, seg);
    pos += seg;
    if (lf == nullptr) return ReadEvent::kNeedInput;
    ++pos;
    return end_of_skipped_line();
}

ReadEvent CommandReader::end_of_skipped_line() {
    std::string_view tail(tail_, tail_len_);
    if (!tail.empty() && tail.back() == '\r') tail.remove_suffix(1);
    if (!skip_plain_) {
        std::optional<LiteralMarker> m = find_literal_marker(tail);
        // A non-synchronizing literal follows whatever we answered: skip its
        // data and the rest of the command. (A synchronizing one waits for a
        // continuation that never comes; the client has our BAD instead.)
        if (m && !m->synchronizing) {
            if (m->too_big) return fatal("Literal size out of range");
            remaining_ = m->size;
            if (remaining_ > 0) {
                state_ = State::kSkipLiteral;
            } else {
                start_skip_line();
            }
            return ReadEvent::kNeedInput;
        }
    }
    skip_plain_ = false;
    start_line();
    return ReadEvent::kNeedInput;
}

}  // namespace ringpost::imap
