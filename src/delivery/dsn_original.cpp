// select_returned_original (see dsn_original.hpp).
#include "delivery/dsn_original.hpp"

#include "delivery/dsn_text.hpp"

namespace ringpost::delivery {

namespace {

// Splits text into lines at CRLF, bare LF or bare CR (the spool holds what
// the client sent; BDAT allows any of them). `rest` advances past the line
// and its terminator. The last line may have no terminator.
std::string_view next_line(std::string_view& rest) {
    size_t i = 0;
    while (i < rest.size() && rest[i] != '\r' && rest[i] != '\n') ++i;
    std::string_view line = rest.substr(0, i);
    if (i < rest.size()) {
        if (rest[i] == '\r' && i + 1 < rest.size() && rest[i + 1] == '\n') i += 2;
        else i += 1;
    }
    rest.remove_prefix(i);
    return line;
}

bool line_ok(std::string_view line) {
    return line.size() <= dsn_text::kHardLineLimit && line.find('\0') == std::string_view::npos;
}

// A header field's first line: a name of printable characters other than
// ':' and blanks (RFC 5322 2.2 ftext), then ':'.
bool is_field_start(std::string_view line) {
    size_t i = 0;
    while (i < line.size() && line[i] != ':') {
        const unsigned char c = static_cast<unsigned char>(line[i]);
        if (c <= 32 || c >= 127) return false;
        ++i;
    }
    return i > 0 && i < line.size();
}

bool is_continuation(std::string_view line) {
    return !line.empty() && (line[0] == ' ' || line[0] == '\t');
}

std::string header_block(std::string_view original, size_t max_size) {
    std::string block;
    std::string field;   // the field being collected (first line + continuations)
    std::string_view rest = original;
    const auto flush = [&] {
        if (!field.empty() && block.size() + field.size() <= max_size) {
            block += field;
            field.clear();
            return true;
        }
        return field.empty();
    };
    while (!rest.empty()) {
        const std::string_view line = next_line(rest);
        if (line.empty()) break;                                   // end of the header
        if (!line_ok(line)) break;
        if (is_continuation(line) && !field.empty()) {
            field.append(line).append("\r\n");
            continue;
        }
        if (!is_field_start(line)) break;                          // the body began without a blank line
        if (!flush()) return block;                                // the cap: stop at a field boundary
        field.assign(line).append("\r\n");
    }
    flush();
    return block;
}

// The whole message with CRLF line endings, or false if it cannot be carried
// intact (a NUL or a line over 998 bytes).
bool full_message(std::string_view original, std::string& out) {
    out.clear();
    out.reserve(original.size() + original.size() / 32);
    std::string_view rest = original;
    while (!rest.empty()) {
        const std::string_view line = next_line(rest);
        if (!line_ok(line)) return false;
        out.append(line).append("\r\n");
    }
    return true;
}

}  // namespace

ReturnedOriginal select_returned_original(std::string_view original, bool want_full, size_t max_size,
                                          mail::BodyType body_type) {
    ReturnedOriginal r;
    if (want_full && body_type != mail::BodyType::kBinaryMime) {
        if (original.size() > max_size) {
            r.over_size = true;
        } else if (full_message(original, r.bytes)) {
            if (r.bytes.size() <= max_size) {
                r.full = true;
                return r;
            }
            r.over_size = true;   // over the cap only once bare LFs became CRLFs
        }
    }
    r.bytes = header_block(original, max_size);
    return r;
}

}  // namespace ringpost::delivery
