// A bounded reader of one HTTP/1.1 response (RFC 9112), sans I/O: the
// webhook client feeds it what it receives and learns when the response
// is complete and with which status. It reads the status line, the header
// fields (Content-Length, Transfer-Encoding: chunked, Connection), and
// frames the body by chunks, by length, or by the end of the connection;
// it skips interim 1xx responses. Everything is bounded (header block,
// body, chunk-size line), and anything malformed -- a bad status line, a
// conflicting or non-numeric Content-Length, a bad chunk size, header
// lines without a colon -- is an error, never a guess: a webhook counts
// as delivered only on a well-formed 2xx.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringpost::events {

class ResponseReader {
public:
    struct Limits {
        size_t max_header_bytes = 16 * 1024;
        size_t max_body_bytes = 64 * 1024;   // kept; only the status matters, the rest is read and dropped
        size_t max_skipped_body = 16u << 20; // read past the kept part at most this much
    };
    enum class State { kNeedMore, kDone, kError };

    explicit ResponseReader(Limits limits) : limits_(limits) {}
    ResponseReader() : ResponseReader(Limits{}) {}

    // Consumes bytes; returns kDone once a final response is complete
    // (bytes after it are left alone: `consumed` says how many were used).
    State feed(std::string_view data, size_t& consumed);
    // The connection ended: completes a body framed by the close.
    State finish();

    int status() const { return status_; }
    const std::string& reason() const { return reason_; }
    const std::string& body() const { return body_; }   // at most max_body_bytes of it
    const std::string& error() const { return error_; }
    bool keep_alive() const { return keep_alive_; }

private:
    enum class Phase { kHead, kLengthBody, kCloseBody, kChunkSize, kChunkData, kChunkDataEnd, kTrailer, kDone, kError };

    State fail(std::string message);
    State state() const;
    // The header block (without its blank line) is complete.
    bool parse_head(std::string_view head);
    bool parse_status_line(std::string_view line);
    bool parse_field(std::string_view line);
    void take_body(std::string_view bytes);
    // One line of the chunked framing (without its line end) is complete.
    bool chunk_line(std::string_view line);

    Limits limits_;
    Phase phase_ = Phase::kHead;
    std::string line_;         // the header block, or a chunk-size / trailer line, so far
    int status_ = 0;
    std::string reason_;
    std::string body_;
    std::string error_;
    bool keep_alive_ = true;
    bool chunked_ = false;
    bool has_length_ = false;
    uint64_t length_ = 0;      // Content-Length, or the current chunk's size
    uint64_t body_seen_ = 0;
};

}  // namespace ringpost::events
