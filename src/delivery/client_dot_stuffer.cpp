// DATA dot-stuffing for the delivery client (see client_dot_stuffer.hpp).
#include "delivery/client_dot_stuffer.hpp"

namespace ringpost::delivery {

size_t DotStuffer::encode(std::string_view in, std::string& out, size_t limit) {
    size_t i = 0;
    while (i < in.size()) {
        if (in[i] == '\n') {
            if (out.size() + 2 > limit) break;
            if (!after_cr_) out += '\r';
            out += '\n';
            after_cr_ = false;
            line_start_ = true;
            ++i;
            continue;
        }
        if (line_start_ && in[i] == '.') {
            if (out.size() + 2 > limit) break;
            out += "..";
            after_cr_ = false;
            line_start_ = false;
            ++i;
            continue;
        }
        if (out.size() >= limit) break;
        // Copy the plain run up to the next LF in one append.
        size_t lf = in.find('\n', i);
        size_t end = lf == std::string_view::npos ? in.size() : lf;
        if (end - i > limit - out.size()) end = i + (limit - out.size());
        out.append(in.data() + i, end - i);
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
    line_start_ = true;
    after_cr_ = false;
}

}  // namespace ringpost::delivery
