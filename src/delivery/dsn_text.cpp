// Text helpers for notifications (see dsn_text.hpp).
#include "delivery/dsn_text.hpp"

#include <ctime>
#include <vector>

namespace ringpost::delivery::dsn_text {

namespace {

void append2(std::string& out, int v) {
    out.push_back(char('0' + v / 10 % 10));
    out.push_back(char('0' + v % 10));
}

// Length of the valid UTF-8 sequence at text[i] (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or 0 if there is none.
size_t utf8_sequence(std::string_view text, size_t i) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char c = byte(i);
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;   // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) { len = 3; lo = 0xA0; }
    else if (c == 0xED) { len = 3; hi = 0x9F; }
    else if (c >= 0xE1 && c <= 0xEF) len = 3;
    else if (c == 0xF0) { len = 4; lo = 0x90; }
    else if (c == 0xF4) { len = 4; hi = 0x8F; }
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else return 0;
    if (i + len > text.size()) return 0;
    if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
    for (size_t k = 2; k < len; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
    }
    return len;
}

std::vector<std::string_view> words_of(std::string_view text) {
    std::vector<std::string_view> words;
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && text[i] == ' ') ++i;
        const size_t start = i;
        while (i < text.size() && text[i] != ' ') ++i;
        if (i > start) words.push_back(text.substr(start, i - start));
    }
    return words;
}

// Lays out words on lines: the first line starts at column `used`, each next
// line with `indent`; a line breaks before a word that would pass `width`.
// A word that cannot fit within kHardLineLimit even on a fresh line is cut.
void append_words(std::string& out, std::string_view text, size_t used, size_t width,
                  std::string_view indent) {
    bool line_has_word = false;
    const auto new_line = [&] {
        out.append("\r\n");
        out.append(indent);
        used = indent.size();
        line_has_word = false;
    };
    for (std::string_view word : words_of(text)) {
        while (!word.empty()) {
            const size_t blank = line_has_word ? 1 : 0;
            if (line_has_word && used + blank + word.size() > width) {
                new_line();
                continue;
            }
            // What still fits before the hard limit (the CRLF is not counted).
            const size_t room = kHardLineLimit > used + blank ? kHardLineLimit - used - blank : 0;
            std::string_view piece = word.substr(0, room);
            // Never cut inside a UTF-8 sequence (back off over continuation bytes).
            while (!piece.empty() && piece.size() < word.size() &&
                   (static_cast<unsigned char>(word[piece.size()]) & 0xC0) == 0x80) {
                piece.remove_suffix(1);
            }
            if (piece.empty()) {
                if (line_has_word) {
                    new_line();
                    continue;
                }
                piece = word.substr(0, 1);   // a degenerate indent: make progress anyway
            }
            if (blank) out.push_back(' ');
            out.append(piece);
            used += blank + piece.size();
            line_has_word = true;
            word.remove_prefix(piece.size());
            if (!word.empty()) new_line();   // the rest of an over-long word
        }
    }
    out.append("\r\n");
}

}  // namespace

void append_date(std::string& out, int64_t unix_seconds) {
    static constexpr const char* kDays[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    // gmtime_r plus our own names: strftime would follow the locale.
    const std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    out.append(kDays[tm.tm_wday]);
    out.append(", ");
    out.append(std::to_string(tm.tm_mday));
    out.push_back(' ');
    out.append(kMonths[tm.tm_mon]);
    out.push_back(' ');
    out.append(std::to_string(tm.tm_year + 1900));
    out.push_back(' ');
    append2(out, tm.tm_hour);
    out.push_back(':');
    append2(out, tm.tm_min);
    out.push_back(':');
    append2(out, tm.tm_sec);
    out.append(" +0000");
}

bool is_ascii(std::string_view text) {
    for (char c : text) {
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    }
    return true;
}

std::string sanitize(std::string_view text, bool allow_utf8) {
    std::string out;
    out.reserve(text.size());
    bool pending_blank = false;
    size_t i = 0;
    while (i < text.size()) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            pending_blank = !out.empty();   // drops leading blanks, collapses runs
            ++i;
            continue;
        }
        if (pending_blank) out.push_back(' ');
        pending_blank = false;
        if (c < 0x20 || c == 0x7F) {
            out.push_back('?');
            ++i;
        } else if (c < 0x80) {
            out.push_back(static_cast<char>(c));
            ++i;
        } else if (size_t n = allow_utf8 ? utf8_sequence(text, i) : 0; n > 0) {
            out.append(text.substr(i, n));
            i += n;
        } else {
            out.push_back('?');
            ++i;
        }
    }
    return out;
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
    out.append(name);
    out.append(":");
    if (value.empty()) {
        out.append("\r\n");
        return;
    }
    out.push_back(' ');
    // Continuation lines start with a blank (RFC 5322 2.2.3 folding).
    append_words(out, value, name.size() + 2, kFoldWidth, " ");
}

void append_wrapped(std::string& out, std::string_view text, size_t width, std::string_view indent) {
    append_words(out, text, 0, width, indent);
}

std::string_view trim_blanks(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

bool is_status_code(std::string_view code) {
    if (code.size() < 5 || (code[0] != '2' && code[0] != '4' && code[0] != '5') || code[1] != '.') {
        return false;
    }
    size_t i = 2;
    for (int part = 0; part < 2; ++part) {
        const size_t start = i;
        while (i < code.size() && code[i] >= '0' && code[i] <= '9') ++i;
        if (i == start || i - start > 3) return false;
        if (part == 0) {
            if (i >= code.size() || code[i] != '.') return false;
            ++i;
        }
    }
    return i == code.size();
}

}  // namespace ringpost::delivery::dsn_text
