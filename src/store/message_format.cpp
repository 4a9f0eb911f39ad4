// Delivery prefix and Subject extraction; see message_format.hpp.
#include "store/message_format.hpp"

namespace ringpost::store {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

bool starts_with_nocase(std::string_view line, std::string_view name) {
    if (line.size() < name.size()) return false;
    for (size_t i = 0; i < name.size(); ++i) {
        char c = line[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != name[i]) return false;
    }
    return true;
}

// One physical line without its terminator (LF or CRLF); advances pos.
std::string_view next_line(std::string_view text, size_t& pos) {
    size_t end = text.find('\n', pos);
    size_t stop = end == std::string_view::npos ? text.size() : end;
    std::string_view line = text.substr(pos, stop - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_wsp(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
    return s;
}

// Cut to at most `max` bytes, backing off over UTF-8 continuation bytes so a
// multi-byte character is never split.
void truncate_utf8(std::string& s, size_t max) {
    if (s.size() <= max) return;
    size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;
    s.resize(cut);
}

}  // namespace

std::string delivery_prefix(std::string_view sender, std::string_view user) {
    std::string out;
    out.reserve(32 + sender.size() + user.size());
    out += "Return-Path: <";
    out += sender;
    out += ">\r\nDelivered-To: ";
    out += user;
    out += "\r\n";
    return out;
}

std::string extract_subject(std::string_view message) {
    size_t pos = 0;
    while (pos < message.size()) {
        std::string_view line = next_line(message, pos);
        if (line.empty()) break;  // end of the header section
        if (!starts_with_nocase(line, "subject:")) continue;

        std::string value(trim(line.substr(8)));
        // Unfolding (RFC 5322 2.2.3): a line starting with WSP continues the
        // field; the CRLF is removed, the whitespace kept.
        while (pos < message.size() && is_wsp(message[pos])) {
            std::string_view cont = next_line(message, pos);
            value += cont;
            if (value.size() > 4 * kMaxSubjectBytes) break;  // enough to fill the limit
        }
        std::string out(trim(value));
        truncate_utf8(out, kMaxSubjectBytes);
        return out;
    }
    return {};
}

}  // namespace ringpost::store
