// SMTP reply parsing over the session's receive buffer (see reply.hpp).
#include "load/reply.hpp"

#include <cstring>

namespace ringpost::load {

ReplyReader::ReplyReader(size_t capacity) : buf_(new char[capacity]), capacity_(capacity) {}

ReplyReader::Status ReplyReader::next(int& code, std::string_view* text) {
    const char* base = buf_.get();
    size_t pos = begin_;
    int first = -1;
    for (;;) {
        const void* nl = std::memchr(base + pos, '\n', end_ - pos);
        if (!nl) return full() ? Status::malformed : Status::incomplete;
        const size_t eol = static_cast<size_t>(static_cast<const char*>(nl) - base);
        size_t len = eol - pos;
        if (len > 0 && base[pos + len - 1] == '\r') --len;
        const char* l = base + pos;
        if (len < 3 || l[0] < '2' || l[0] > '5' || l[1] < '0' || l[1] > '9' || l[2] < '0' || l[2] > '9')
            return Status::malformed;
        const int c = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
        if (first >= 0 && c != first) return Status::malformed;
        first = c;
        const bool last = (len == 3 || l[3] == ' ');
        if (!last && l[3] != '-') return Status::malformed;
        pos = eol + 1;
        if (last) {
            code = c;
            if (text) *text = std::string_view(base + begin_, pos - begin_);
            begin_ = pos;
            if (begin_ == end_) begin_ = end_ = 0;
            return Status::complete;
        }
    }
}

char* ReplyReader::prepare() {
    if (begin_ == end_) {
        begin_ = end_ = 0;
    } else if (begin_ > 0 && capacity_ - end_ < capacity_ / 2) {
        std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    return buf_.get() + end_;
}

}  // namespace ringpost::load
