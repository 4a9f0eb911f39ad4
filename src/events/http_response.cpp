// The bounded HTTP/1.1 response reader (http_response.hpp).
#include "events/http_response.hpp"

#include <algorithm>

#include "util/ascii.hpp"

namespace ringpost::events {
namespace {

constexpr size_t kMaxChunkLine = 1024;   // a size, extensions, a trailer field

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_tchar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A run of 1 to 19 decimal digits (fits in 64 bits).
bool parse_decimal(std::string_view s, uint64_t& out) {
    if (s.empty() || s.size() > 19) return false;
    out = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        out = out * 10 + static_cast<uint64_t>(c - '0');
    }
    return true;
}

// A chunk size: 1 to 15 hex digits (no overflow).
bool parse_hex(std::string_view s, uint64_t& out) {
    if (s.empty() || s.size() > 15) return false;
    out = 0;
    for (char c : s) {
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (v < 0) return false;
        out = out * 16 + static_cast<uint64_t>(v);
    }
    return true;
}

// The line without its CR, if it has one.
std::string_view strip_cr(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

}  // namespace

ResponseReader::State ResponseReader::fail(std::string message) {
    phase_ = Phase::kError;
    error_ = std::move(message);
    return State::kError;
}

ResponseReader::State ResponseReader::state() const {
    if (phase_ == Phase::kDone) return State::kDone;
    if (phase_ == Phase::kError) return State::kError;
    return State::kNeedMore;
}

bool ResponseReader::parse_status_line(std::string_view line) {
    // HTTP/1.x SP 3DIGIT SP [reason]
    if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || !is_digit(line[7]) || line[8] != ' ' ||
        !is_digit(line[9]) || !is_digit(line[10]) || !is_digit(line[11]) ||
        (line.size() > 12 && line[12] != ' '))
        return false;
    status_ = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    if (status_ < 100 || status_ > 599) return false;
    reason_ = line.size() > 13 ? std::string(line.substr(13)) : std::string();
    keep_alive_ = line[7] != '0';   // HTTP/1.0 closes unless it says otherwise
    return true;
}

bool ResponseReader::parse_field(std::string_view line) {
    const size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return false;
    const std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), is_tchar)) return false;   // no blank before the colon either
    const std::string key = util::ascii_lower(name);
    const std::string_view value = trim(line.substr(colon + 1));
    if (key == "content-length") {
        uint64_t n = 0;
        if (!parse_decimal(value, n)) return false;
        if (has_length_ && n != length_) return false;   // two different lengths: no framing to trust
        has_length_ = true;
        length_ = n;
    } else if (key == "transfer-encoding") {
        const std::string v = util::ascii_lower(value);
        const size_t comma = v.rfind(',');
        chunked_ = trim(comma == std::string::npos ? std::string_view(v) : std::string_view(v).substr(comma + 1)) == "chunked";
    } else if (key == "connection") {
        const std::string v = util::ascii_lower(value);
        if (v.find("close") != std::string::npos) keep_alive_ = false;
        if (v.find("keep-alive") != std::string::npos && status_ != 0) keep_alive_ = true;
    }
    return true;
}

bool ResponseReader::parse_head(std::string_view head) {
    has_length_ = chunked_ = false;
    length_ = 0;
    size_t pos = 0;
    bool first = true;
    while (pos <= head.size()) {
        size_t end = head.find('\n', pos);
        if (end == std::string_view::npos) end = head.size();
        const std::string_view line = strip_cr(head.substr(pos, end - pos));
        pos = end + 1;
        if (first) {
            if (!parse_status_line(line)) return false;
            first = false;
        } else if (line.empty() || line.front() == ' ' || line.front() == '\t' || !parse_field(line)) {
            return false;   // obsolete line folding is refused (RFC 9112 5.2)
        }
    }
    if (chunked_ && has_length_) keep_alive_ = false;   // Transfer-Encoding wins, and the connection is suspect
    return !first;
}

void ResponseReader::take_body(std::string_view bytes) {
    const size_t room = limits_.max_body_bytes - std::min(limits_.max_body_bytes, body_.size());
    body_.append(bytes.substr(0, std::min(room, bytes.size())));
    body_seen_ += bytes.size();
}

bool ResponseReader::chunk_line(std::string_view line) {
    line = strip_cr(line);
    if (phase_ == Phase::kChunkDataEnd) {
        if (!line.empty()) return false;
        phase_ = Phase::kChunkSize;
    } else if (phase_ == Phase::kChunkSize) {
        uint64_t size = 0;
        if (!parse_hex(trim(line.substr(0, line.find(';'))), size)) return false;
        length_ = size;
        phase_ = size == 0 ? Phase::kTrailer : Phase::kChunkData;
    } else if (line.empty()) {   // the trailer section ends
        phase_ = Phase::kDone;
    } else if (line.front() == ' ' || line.front() == '\t' || line.find(':') == std::string_view::npos) {
        return false;
    }
    return true;
}

ResponseReader::State ResponseReader::feed(std::string_view data, size_t& consumed) {
    consumed = 0;
    while (consumed < data.size() && state() == State::kNeedMore) {
        const std::string_view rest = data.substr(consumed);
        if (phase_ == Phase::kLengthBody || phase_ == Phase::kChunkData || phase_ == Phase::kCloseBody) {
            size_t n = rest.size();
            if (phase_ != Phase::kCloseBody) n = static_cast<size_t>(std::min<uint64_t>(n, length_));
            take_body(rest.substr(0, n));
            consumed += n;
            if (body_seen_ > limits_.max_skipped_body) return fail("response body too large");
            if (phase_ == Phase::kCloseBody) continue;
            length_ -= n;
            if (length_ == 0) phase_ = phase_ == Phase::kChunkData ? Phase::kChunkDataEnd : Phase::kDone;
            continue;
        }
        // A line-oriented phase: one byte at a time (bounded lines).
        const char c = rest.front();
        ++consumed;
        line_ += c;
        if (phase_ == Phase::kHead) {
            if (line_.size() > limits_.max_header_bytes) return fail("response header too large");
            if (line_.size() == 1 && (c == '\r' || c == '\n')) {   // blank lines before a response
                line_.clear();
                continue;
            }
            const bool crlf = line_.size() >= 4 && line_.compare(line_.size() - 4, 4, "\r\n\r\n") == 0;
            const bool lf = line_.size() >= 2 && line_.compare(line_.size() - 2, 2, "\n\n") == 0;
            if (!crlf && !lf) continue;
            const std::string head = line_.substr(0, line_.size() - (crlf ? 4 : 2));
            line_.clear();
            if (!parse_head(head)) return fail("malformed response header");
            if (status_ < 200) continue;   // 1xx: an interim response; the final one follows
            if (status_ == 204 || status_ == 304) phase_ = Phase::kDone;
            else if (chunked_) phase_ = Phase::kChunkSize;
            else if (has_length_) phase_ = length_ == 0 ? Phase::kDone : Phase::kLengthBody;
            else {
                phase_ = Phase::kCloseBody;
                keep_alive_ = false;
            }
            continue;
        }
        if (line_.size() > kMaxChunkLine) return fail("chunk line too long");
        // After a chunk's data only its line end may follow: say so at the first wrong byte.
        if (phase_ == Phase::kChunkDataEnd && line_ != "\r" && line_ != "\r\n" && line_ != "\n")
            return fail("malformed chunked body");
        if (c != '\n') continue;
        const std::string line = std::move(line_);
        line_.clear();
        if (!chunk_line(std::string_view(line).substr(0, line.size() - 1))) return fail("malformed chunked body");
    }
    return state();
}

ResponseReader::State ResponseReader::finish() {
    if (phase_ == Phase::kCloseBody) phase_ = Phase::kDone;
    else if (phase_ != Phase::kDone && phase_ != Phase::kError) return fail("connection closed before the response was complete");
    return state();
}

}  // namespace ringpost::events
