// SMTP reply formatting (see reply.hpp).
#include "smtp/reply.hpp"

#include "smtp/smtp_metrics.hpp"

namespace ringpost::smtp {

namespace {

void append_code(std::string& out, uint16_t code) {
    // Reply codes are always three digits (RFC 5321 4.2).
    char digits[3] = {char('0' + code / 100 % 10), char('0' + code / 10 % 10), char('0' + code % 10)};
    out.append(digits, 3);
}

// Text parts may echo client input (a parameter keyword, a HELO name); a CR
// or NUL in there would break the reply framing, so control bytes become '?'.
void append_sanitised(std::string& out, std::string_view part) {
    size_t start = out.size();
    out.append(part);
    for (size_t i = start; i < out.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(out[i]);
        if (c < 0x20 || c == 0x7f) out[i] = '?';
    }
}

}  // namespace

void append_reply(std::string& out, uint16_t code, std::string_view status,
                  std::initializer_list<std::string_view> parts) {
    smtp_metrics().reply(code);   // every reply the server sends is made here
    append_code(out, code);
    out.push_back(' ');
    if (!status.empty()) {
        out.append(status);
        out.push_back(' ');
    }
    for (std::string_view part : parts) append_sanitised(out, part);
    out.append("\r\n", 2);
}

void MultilineReply::add(std::initializer_list<std::string_view> parts) {
    last_line_ = out_.size();
    append_code(out_, code_);
    out_.push_back('-');
    for (std::string_view part : parts) append_sanitised(out_, part);
    out_.append("\r\n", 2);
}

void MultilineReply::finish() {
    // The separator after the code of the last line is what tells the client
    // that the reply is complete.
    if (last_line_ != std::string::npos) {
        out_[last_line_ + 3] = ' ';
        smtp_metrics().reply(code_);
    }
    last_line_ = std::string::npos;
}

}  // namespace ringpost::smtp
