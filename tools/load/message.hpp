// The bytes one session sends, built once per session: the SMTP commands of
// a transaction (MAIL, RCPTs, DATA) and the message (headers, dot-stuffed
// filler body, final "."). Per message only the Message-ID digits change,
// in place, so the send loop allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "load/options.hpp"

namespace ringpost::load {

// One write and the number of replies it asks for.
struct Step {
    std::string_view data;
    uint16_t replies = 0;
    bool is_body = false;   // the message text ending in "\r\n.\r\n"
};

class MessageTemplate {
public:
    MessageTemplate(const Options& o, unsigned session_id);
    MessageTemplate(const MessageTemplate&) = delete;
    MessageTemplate& operator=(const MessageTemplate&) = delete;

    // Writes `n` (16 hex digits) into the Message-ID.
    void stamp(uint64_t n);

    // RFC 2920: one write for MAIL+RCPTs+DATA, then the body.
    const std::vector<Step>& pipelined() const { return pipelined_; }
    // One command per round trip.
    const std::vector<Step>& lockstep() const { return lockstep_; }

    // Is `code` the expected answer to reply number `index` of a transaction
    // (0 = MAIL, 1..R = RCPT, R+1 = DATA, R+2 = end of data)?
    bool expected(size_t index, int code) const {
        if (index == 0) return code == 250;
        if (index <= rcpts_) return code == 250 || code == 251;
        if (index == rcpts_ + 1) return code == 354;
        return code == 250;
    }
    size_t replies_per_transaction() const { return rcpts_ + 3; }

    const std::string& message() const { return message_; }

private:
    // The generated message: From, To, Subject, Message-ID, Date, filler body.
    void generate(const Options& o, unsigned session_id);

    std::string commands_;   // "MAIL FROM:<..>\r\nRCPT TO:<..>\r\n...DATA\r\n"
    std::string message_;    // headers + stuffed body + ".\r\n"
    size_t msgid_offset_ = 0;   // npos: nothing to stamp
    size_t rcpts_ = 1;
    std::vector<Step> pipelined_;
    std::vector<Step> lockstep_;
};

// SMTP dot-stuffing (RFC 5321 4.5.2) of CRLF text: a '.' starting a line is doubled.
std::string dot_stuff(std::string_view text);

// The raw (unstuffed) filler body of exactly `size` bytes (1 is rounded up to
// 2): lines of 76 characters + CRLF; every 16th line starts with '.' so the
// server's dot-unstuffing is exercised.
std::string filler_body(uint64_t size);

// Recipient number i (0-based) of a message, like smtp-source -r: "1user@dom".
std::string recipient(const Options& o, unsigned i);

}  // namespace ringpost::load
