#include "dkim/canonical.hpp"

namespace ringpost::dkim {
namespace {

constexpr bool is_wsp(char c) { return c == ' ' || c == '\t'; }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// RFC 6376 3.4.2: unfold, runs of WSP to one SP, no WSP at the ends of the
// value. CR and LF of the folding are dropped; WSP after them stays (as the
// run that becomes one SP).
void relaxed_value(std::string_view value, std::string& out) {
    bool pending_space = false;
    bool started = false;
    for (char c : value) {
        if (c == '\r' || c == '\n') continue;
        if (is_wsp(c)) {
            pending_space = started;
            continue;
        }
        if (pending_space) out += ' ';
        pending_space = false;
        started = true;
        out += c;
    }
}

}  // namespace

void canonical_header(Canon canon, std::string_view raw, std::string& out) {
    if (canon == Canon::kSimple) {
        // As it is, but every line end as CRLF.
        for (size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) out += '\r';
            out += raw[i];
        }
        if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
        return;
    }
    const size_t colon = raw.find(':');
    std::string_view name = raw.substr(0, colon);
    while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
    for (char c : name) out += lower(c);
    out += ':';
    if (colon != std::string_view::npos) relaxed_value(raw.substr(colon + 1), out);
    out += "\r\n";
}

void BodyCanonicalizer::add_line(std::string_view line) {
    if (canon_ == Canon::kRelaxed) {
        // Trailing WSP is ignored, so a line of blanks is an empty line.
        while (!line.empty() && is_wsp(line.back())) line.remove_suffix(1);
    }
    if (line.empty()) {
        ++empty_lines_;
        return;
    }
    for (; empty_lines_ > 0; --empty_lines_) buf_ += "\r\n";
    any_line_ = true;
    if (canon_ == Canon::kSimple) {
        buf_.append(line);
    } else {
        // Runs of WSP become one SP (the line has none at its end any more);
        // the text between them is copied a run at a time.
        size_t i = 0;
        while (i < line.size()) {
            size_t run = i;
            while (run < line.size() && !is_wsp(line[run])) ++run;
            buf_.append(line.data() + i, run - i);
            if (run == line.size()) break;
            buf_ += ' ';
            i = run;
            while (i < line.size() && is_wsp(line[i])) ++i;
        }
    }
    buf_ += "\r\n";
}

}  // namespace ringpost::dkim
