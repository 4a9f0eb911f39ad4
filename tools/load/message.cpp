// Builds the per-session transaction bytes (see message.hpp).
#include "load/message.hpp"

#include <ctime>

#include <fmt/core.h>

namespace ringpost::load {

std::string dot_stuff(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 64 + 8);
    bool line_start = true;
    for (char c : text) {
        if (line_start && c == '.') out.push_back('.');
        out.push_back(c);
        line_start = (c == '\n');
    }
    return out;
}

std::string filler_body(uint64_t size) {
    static constexpr std::string_view kChars =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static constexpr size_t kLine = 76;
    if (size == 1) size = 2;
    std::string out;
    out.reserve(size);
    uint64_t remaining = size;
    size_t line = 0;
    auto emit = [&](size_t len) {
        for (size_t i = 0; i < len; ++i) {
            char c = kChars[(line * 7 + i) % kChars.size()];
            if (i == 0 && line % 16 == 1) c = '.';
            out.push_back(c);
        }
        out += "\r\n";
        ++line;
    };
    while (remaining >= kLine + 2) {
        // Do not leave a single byte for the last line (it could not end in CRLF).
        if (remaining == kLine + 3) {
            emit(kLine + 1);
            remaining = 0;
            break;
        }
        emit(kLine);
        remaining -= kLine + 2;
    }
    if (remaining >= 2) emit(remaining - 2);
    return out;
}

std::string recipient(const Options& o, unsigned i) {
    const auto at = o.to.find('@');
    std::string local = o.to.substr(0, at);
    std::string domain = o.to.substr(at + 1);
    if (o.rcpts > 1) local = std::to_string(i + 1) + local;
    if (o.rcpt_domains > 1) domain = fmt::format("d{}.{}", i % o.rcpt_domains + 1, domain);
    return local + "@" + domain;
}

namespace {

std::string rfc5322_date() {
    char buf[64];
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return buf;
}

}  // namespace

MessageTemplate::MessageTemplate(const Options& o, unsigned session_id) : rcpts_(o.rcpts) {
    // Commands. Offsets first, views after: the string must not move any more.
    std::vector<std::pair<size_t, size_t>> lines;
    auto add = [&](const std::string& line) {
        lines.emplace_back(commands_.size(), line.size());
        commands_ += line;
    };
    add("MAIL FROM:<" + o.from + ">\r\n");
    for (unsigned i = 0; i < o.rcpts; ++i) add("RCPT TO:<" + recipient(o, i) + ">\r\n");
    add("DATA\r\n");

    // The message, dot-stuffed, with the final dot.
    if (!o.message.empty()) {
        message_ = dot_stuff(o.message) + ".\r\n";
        msgid_offset_ = std::string::npos;
    } else {
        generate(o, session_id);
    }

    const std::string_view all(commands_);
    pipelined_.push_back(Step{all, static_cast<uint16_t>(o.rcpts + 2), false});
    pipelined_.push_back(Step{message_, 1, true});
    for (auto [off, len] : lines) lockstep_.push_back(Step{all.substr(off, len), 1, false});
    lockstep_.push_back(Step{message_, 1, true});
}

// Headers, blank line, filler body.
void MessageTemplate::generate(const Options& o, unsigned session_id) {
    message_ = "From: <" + o.from + ">\r\n";
    message_ += "To: <" + recipient(o, 0) + ">\r\n";
    message_ += fmt::format("Subject: ringpost-load test message, session {}\r\n", session_id);
    message_ += "Message-ID: <";
    msgid_offset_ = message_.size();
    message_ += fmt::format("0000000000000000.{}@{}>\r\n", session_id, o.helo);
    message_ += "Date: " + rfc5322_date() + "\r\n";
    message_ += "\r\n";
    message_ += dot_stuff(filler_body(o.size));
    message_ += ".\r\n";
}

void MessageTemplate::stamp(uint64_t n) {
    if (msgid_offset_ == std::string::npos) return;   // a --message-file message is sent as it is
    static constexpr char kHex[] = "0123456789abcdef";
    char* p = message_.data() + msgid_offset_;
    for (int i = 15; i >= 0; --i) {
        p[i] = kHex[n & 15];
        n >>= 4;
    }
}

}  // namespace ringpost::load
