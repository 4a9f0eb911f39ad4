// ReplyReader: the receive buffer of one session and the SMTP reply parser
// (RFC 5321 4.2: "250-..." continuation lines, "250 ..." or "250" last line,
// the same code on every line). Several pipelined replies may sit in the
// buffer at once; next() takes them one at a time without copying.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

namespace ringpost::load {

class ReplyReader {
public:
    enum class Status { complete, incomplete, malformed };

    explicit ReplyReader(size_t capacity);

    // Takes one complete reply from the buffer: its code, and all its lines
    // (`text`, valid until the next prepare()).
    Status next(int& code, std::string_view* text = nullptr);

    // Before a recv: makes room at the end (moving unread bytes to the
    // front) and returns where to receive and how much.
    char* prepare();
    size_t space() const { return capacity_ - end_; }
    void commit(size_t n) { end_ += n; }
    bool full() const { return begin_ == 0 && end_ == capacity_; }

    // Drops everything (new connection).
    void reset() { begin_ = end_ = 0; }
    bool empty() const { return begin_ == end_; }

private:
    std::unique_ptr<char[]> buf_;
    size_t capacity_;
    size_t begin_ = 0;
    size_t end_ = 0;
};

}  // namespace ringpost::load
