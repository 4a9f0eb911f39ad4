// RequestParser: HTTP/1.1 requests (RFC 9112) out of the connection's
// input buffer, sans I/O. Boost.Beast's parser does the syntax (start line,
// fields, Content-Length and chunked bodies); this adapter feeds it our
// own buffer in place, applies the limits, and hands out http::Request.
// Beast stays inside parser.cpp, so only that file pays its compile time.
//
// Bytes are consumed as they are parsed: the body goes into the Request
// as it arrives, so the caller's buffer holds at most one header block
// (max_header) plus one read. Pipelined requests: feed() stops at the end
// of each one; the rest stays in the input for the next call.
//
// Limits and what they become (error_status()):
//   the request line over max_request_line          414
//   the header block over max_header                431
//   a body over max_body (a Content-Length over it  413, before any of the
//     is refused as soon as the header is read)          body is read
//   anything malformed                              400
// Every error is final: the connection answers it and closes, since the
// input can no longer be framed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace ringpost::http {

struct ParserLimits {
    size_t max_request_line = 8192;
    size_t max_header = 16384;          // the request line and every field
    uint64_t max_body = 1u << 20;
};

class RequestParser {
public:
    enum class Event : unsigned char {
        kNeedInput,   // everything given is consumed or waits for more
        kContinue,    // the header is in, it asked "Expect: 100-continue" and the body is still to come (once)
        kRequest,     // a whole request: take() it
        kError,       // error_status(), error_text(); final
    };

    explicit RequestParser(ParserLimits limits);
    ~RequestParser();
    RequestParser(const RequestParser&) = delete;
    RequestParser& operator=(const RequestParser&) = delete;

    // Parses from the start of `input`; `consumed` is set to the bytes used
    // (drop them from the buffer before the next call).
    Event feed(std::string_view input, size_t& consumed);
    // The request of the last kRequest (moved out).
    Request take();

    int error_status() const { return error_status_; }
    const std::string& error_text() const { return error_text_; }
    // Some of a request has been read (a timeout now cuts it short).
    bool in_progress() const;
    // Its header is in and the body is on its way.
    bool in_body() const;

private:
    struct Beast;
    Event fail(int status, std::string text);
    // Before the header: empty lines are skipped (RFC 9112 2.2), and an
    // overlong request line is refused without waiting for its end.
    bool check_start(std::string_view input, size_t& consumed);
    Event finish();

    ParserLimits limits_;
    std::unique_ptr<Beast> beast_;   // the request in progress
    size_t header_seen_ = 0;   // header bytes Beast took of the request in progress
    size_t left_unparsed_ = 0;   // of the body, when Beast last asked for more
    bool continue_sent_ = false;
    int error_status_ = 0;
    std::string error_text_;
    Request request_;
};

}  // namespace ringpost::http
