// Multipart splitting; see multipart_split.hpp. One pass over the lines of
// the body; nested multiparts are split again by their own part, so a
// message costs at most (nesting depth) passes.
#include "mail/multipart_split.hpp"

#include <cstring>

namespace ringpost::mail {

namespace {

enum class Delimiter { kNone, kPart, kClose };

bool only_blanks(std::string_view s) {
    for (char c : s)
        if (c != ' ' && c != '\t') return false;
    return true;
}

// Whether `line` (without its line end) is a delimiter line of `boundary`.
Delimiter classify(std::string_view line, std::string_view boundary) {
    if (line.size() < 2 + boundary.size() || line[0] != '-' || line[1] != '-') return Delimiter::kNone;
    if (line.substr(2, boundary.size()) != boundary) return Delimiter::kNone;
    std::string_view rest = line.substr(2 + boundary.size());
    if (rest.size() >= 2 && rest[0] == '-' && rest[1] == '-' && only_blanks(rest.substr(2))) return Delimiter::kClose;
    return only_blanks(rest) ? Delimiter::kPart : Delimiter::kNone;
}

// Where a part that is followed by a delimiter line at `delimiter` ends:
// before the line end that precedes the delimiter, but never before `start`.
size_t part_end(std::string_view data, size_t start, size_t delimiter) {
    size_t end = delimiter;
    if (end > start && data[end - 1] == '\n') {
        --end;
        if (end > start && data[end - 1] == '\r') --end;
    }
    return end;
}

}  // namespace

std::vector<ByteRange> split_multipart(std::string_view data, size_t begin, size_t end,
                                       std::string_view boundary, size_t max_parts) {
    std::vector<ByteRange> parts;
    if (boundary.empty()) return parts;   // "--" alone would match every rule line
    if (end > data.size()) end = data.size();
    bool in_part = false;   // a delimiter opened a part that is not closed yet
    size_t part_start = 0;
    size_t pos = begin;
    while (pos < end) {
        const void* lf = std::memchr(data.data() + pos, '\n', end - pos);
        size_t next = lf ? static_cast<size_t>(static_cast<const char*>(lf) - data.data()) + 1 : end;
        size_t eol = lf ? next - 1 : end;
        if (eol > pos && data[eol - 1] == '\r') --eol;

        Delimiter kind = classify(data.substr(pos, eol - pos), boundary);
        if (kind != Delimiter::kNone) {
            if (in_part) {
                parts.push_back({part_start, part_end(data, part_start, pos)});
                in_part = false;
            }
            if (kind == Delimiter::kClose || parts.size() >= max_parts) return parts;
            in_part = true;
            part_start = next;
        }
        pos = next;
    }
    if (in_part) parts.push_back({part_start, end});
    return parts;
}

}  // namespace ringpost::mail
