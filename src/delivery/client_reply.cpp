// SMTP reply parsing for the delivery client (see client_reply.hpp).
#include "delivery/client_reply.hpp"

#include <utility>

namespace ringpost::delivery {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Length of an RFC 3463 status code "c.sss.ddd" at the start of `s`
// (class 2, 4 or 5; subject and detail 1..3 digits), followed by a space
// or the end; 0 when there is none.
size_t enhanced_length(std::string_view s, char klass) {
    if (s.size() < 5 || s[0] != klass || s[1] != '.') return 0;
    size_t i = 2;
    for (int part = 0; part < 2; ++part) {
        size_t start = i;
        while (i < s.size() && is_digit(s[i]) && i - start < 3) ++i;
        if (i == start) return 0;
        if (part == 0) {
            if (i >= s.size() || s[i] != '.') return 0;
            ++i;
        }
    }
    if (i < s.size() && s[i] != ' ') return 0;
    return i;
}

}  // namespace

std::string ServerReply::to_string() const {
    std::string s = std::to_string(code);
    if (!enhanced.empty()) {
        s += ' ';
        s += enhanced;
    }
    for (const auto& l : lines) {
        if (l.empty()) continue;
        s += ' ';
        s += l;
    }
    return s;
}

ReplyParser::Status ReplyParser::fail(std::string message) {
    error_ = std::move(message);
    return Status::kError;
}

ReplyParser::Status ReplyParser::feed(std::string_view in, size_t& consumed) {
    consumed = 0;
    if (!error_.empty()) return Status::kError;
    if (done_) return Status::kReply;   // take() first
    while (consumed < in.size()) {
        size_t lf = in.find('\n', consumed);
        size_t end = lf == std::string_view::npos ? in.size() : lf;
        if (line_.size() + (end - consumed) > kMaxLine) return fail("reply line too long");
        line_.append(in.data() + consumed, end - consumed);
        if (lf == std::string_view::npos) {
            consumed = in.size();
            return Status::kNeedMore;
        }
        consumed = lf + 1;
        // CRLF is the standard; a bare LF is tolerated (as Postfix does),
        // since nothing is forwarded from a reply but its text.
        std::string_view text(line_);
        if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
        Status st = line(text);
        line_.clear();
        if (st != Status::kNeedMore) return st;
    }
    return Status::kNeedMore;
}

ReplyParser::Status ReplyParser::line(std::string_view text) {
    if (text.size() < 3 || !is_digit(text[0]) || !is_digit(text[1]) || !is_digit(text[2]) || text[0] < '2' ||
        text[0] > '5')
        return fail("malformed reply line");
    if (text.size() > 3 && text[3] != ' ' && text[3] != '-') return fail("malformed reply line");
    const uint16_t code = static_cast<uint16_t>((text[0] - '0') * 100 + (text[1] - '0') * 10 + (text[2] - '0'));
    const bool first = reply_.lines.empty();
    if (first) {
        reply_.code = code;
    } else if (code != reply_.code) {
        return fail("reply code changes within a multi-line reply");
    }
    if (reply_.lines.size() >= kMaxLines) return fail("too many reply lines");
    const bool last = text.size() == 3 || text[3] == ' ';
    std::string_view body = text.size() > 4 ? text.substr(4) : std::string_view{};

    if (size_t n = enhanced_length(body, text[0]); n > 0) {
        std::string_view status = body.substr(0, n);
        if (first) {
            reply_.enhanced.assign(status);
        }
        // Later lines repeat the code (RFC 2034 4); only then is it dropped,
        // so text that merely looks like a code stays intact.
        if (status == reply_.enhanced) {
            body.remove_prefix(n);
            while (!body.empty() && body.front() == ' ') body.remove_prefix(1);
        }
    }
    reply_.lines.emplace_back(body);
    if (!last) return Status::kNeedMore;
    done_ = true;
    return Status::kReply;
}

ServerReply ReplyParser::take() {
    done_ = false;
    ServerReply r = std::move(reply_);
    reply_ = ServerReply{};
    return r;
}

}  // namespace ringpost::delivery
