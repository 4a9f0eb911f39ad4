// SMTP reply formatting: "ddd x.y.z text\r\n" single-line replies with
// RFC 3463 enhanced status codes, and "ddd-..." multi-line replies (EHLO).
// Everything appends to the caller's output buffer so the hot path never
// allocates; parts that may echo client input are sanitised so a client can
// never make us emit a bare CR or other control byte inside a reply line.
#pragma once

#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace ringpost::smtp {

// A reply decided by a parser; code 0 means "no error, carry on".
// `detail` is appended after `text` and may point into the command line, so
// a Reply must be written out before the input buffer is released.
struct Reply {
    uint16_t code = 0;
    std::string_view status;   // enhanced status code "5.5.4"; empty for none
    std::string_view text;
    std::string_view detail;
    bool ok() const { return code == 0; }
};

// Appends "code status part...\r\n". An empty status omits the enhanced code
// (greeting, EHLO, 354 replies do not carry one, RFC 2034).
void append_reply(std::string& out, uint16_t code, std::string_view status,
                  std::initializer_list<std::string_view> parts);

inline void append_reply(std::string& out, uint16_t code, std::string_view status, std::string_view text) {
    append_reply(out, code, status, {text});
}

inline void append_reply(std::string& out, const Reply& r) {
    append_reply(out, r.code, r.status, {r.text, r.detail});
}

// Builds a multi-line reply in place: every line is written as "ddd-text";
// finish() turns the last one into "ddd text", so the number of lines need
// not be known in advance and nothing is buffered.
class MultilineReply {
public:
    MultilineReply(std::string& out, uint16_t code) : out_(out), code_(code) {}
    void add(std::initializer_list<std::string_view> parts);
    void add(std::string_view text) { add({text}); }
    void finish();

private:
    std::string& out_;
    uint16_t code_;
    size_t last_line_ = std::string::npos;
};

// A number as text without touching the heap (std::to_string allocates
// for nothing on the reply path).
class Decimal {
public:
    explicit Decimal(uint64_t n) { len_ = static_cast<uint8_t>(std::to_chars(buf_, buf_ + sizeof buf_, n).ptr - buf_); }
    std::string_view view() const { return {buf_, len_}; }
    operator std::string_view() const { return view(); }

private:
    char buf_[20];
    uint8_t len_;
};

}  // namespace ringpost::smtp
