// Header section scanning; see header_block.hpp.
#include "mail/header_block.hpp"
#include "util/ascii.hpp"

namespace ringpost::mail {

namespace {

// End of the line starting at `pos` (just past its LF, or the end of data).
size_t line_end(std::string_view data, size_t pos) {
    size_t lf = data.find('\n', pos);
    return lf == std::string_view::npos ? data.size() : lf + 1;
}

bool is_empty_line(std::string_view data, size_t pos) {
    if (pos < data.size() && data[pos] == '\n') return true;
    return pos + 1 < data.size() && data[pos] == '\r' && data[pos + 1] == '\n';
}

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

}  // namespace

size_t header_section_size(std::string_view data) {
    size_t pos = 0;
    while (pos < data.size()) {
        if (is_empty_line(data, pos)) return line_end(data, pos);
        pos = line_end(data, pos);
    }
    return data.size();
}

bool HeaderReader::at_empty_line() const { return is_empty_line(rest_, 0); }

bool HeaderReader::next(HeaderField& field) {
    if (rest_.empty() || is_empty_line(rest_, 0)) return false;
    // A field is its first line plus every following line that starts with
    // a blank (a folded continuation).
    size_t end = line_end(rest_, 0);
    while (end < rest_.size() && util::is_wsp(rest_[end])) end = line_end(rest_, end);

    field.raw = rest_.substr(0, end);
    size_t first_line = line_end(rest_, 0);
    size_t colon = rest_.substr(0, first_line).find(':');
    if (colon == std::string_view::npos) {
        field.name = field.raw;
        while (!field.name.empty() && (field.name.back() == '\n' || field.name.back() == '\r'))
            field.name.remove_suffix(1);
        field.value = {};
    } else {
        field.name = rest_.substr(0, colon);
        while (!field.name.empty() && util::is_wsp(field.name.back())) field.name.remove_suffix(1);
        field.value = rest_.substr(colon + 1, end - colon - 1);
    }
    rest_.remove_prefix(end);
    return true;
}

std::string unfold(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\r' || c == '\n' || c == '\0') continue;
        out += c;
    }
    size_t first = 0;
    while (first < out.size() && util::is_wsp(out[first])) ++first;
    size_t last = out.size();
    while (last > first && util::is_wsp(out[last - 1])) --last;
    return out.substr(first, last - first);
}

std::string to_upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = upper(c);
    return out;
}

}  // namespace ringpost::mail
