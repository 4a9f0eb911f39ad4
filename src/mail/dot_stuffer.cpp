// Dot-stuffing with the optional TOP line limit (see dot_stuffer.hpp).
#include "mail/dot_stuffer.hpp"

namespace ringpost::mail {

void DotStuffer::end_of_line() {
    line_start_ = true;
    after_cr_ = false;
    if (!in_body_) {
        if (!has_content_) {
            in_body_ = true;
            if (limited_ && lines_left_ == 0) done_ = true;
        }
    } else if (limited_ && --lines_left_ == 0) {
        done_ = true;
    }
    has_content_ = false;
}

size_t DotStuffer::encode(std::string_view in, std::string& out, size_t limit) {
    size_t i = 0;
    while (i < in.size() && !done_) {
        const char c = in[i];
        if (c == '\n') {
            if (out.size() + 2 > limit) break;
            if (!after_cr_) out += '\r';
            out += '\n';
            end_of_line();
            ++i;
            continue;
        }
        if (line_start_ && c == '.') {
            if (out.size() + 2 > limit) break;
            out += "..";
            line_start_ = false;
            after_cr_ = false;
            has_content_ = true;
            ++i;
            continue;
        }
        if (out.size() >= limit) break;
        // Copy the plain run up to the next LF in one append.
        size_t lf = in.find('\n', i);
        size_t end = lf == std::string_view::npos ? in.size() : lf;
        if (end - i > limit - out.size()) end = i + (limit - out.size());
        out.append(in.data() + i, end - i);
        // A run that is a lone CR (before a LF, or split off) adds no content.
        if (end - i > 1 || c != '\r') has_content_ = true;
        after_cr_ = in[end - 1] == '\r';
        line_start_ = false;
        i = end;
    }
    return i;
}

void DotStuffer::finish(std::string& out) {
    if (!line_start_) {
        // A trailing bare CR becomes the CR of the final CRLF.
        if (!after_cr_) out += '\r';
        out += '\n';
    }
    out += ".\r\n";
    *this = DotStuffer{};
}

}  // namespace ringpost::mail
