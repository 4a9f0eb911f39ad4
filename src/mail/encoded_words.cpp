// Encoded word decoding; see encoded_words.hpp. One pass over the text;
// a candidate that is not an encoded word costs at most the bytes up to the
// next blank, and the scan resumes after them (no encoded word can start in
// between: its text could not end before that blank either), so any input
// is decoded in linear time.
#include "mail/encoded_words.hpp"

#include "mail/charset.hpp"
#include "mail/header_block.hpp"
#include "mail/transfer_decoding.hpp"
#include "util/ascii.hpp"
#include "util/base64.hpp"
#include "util/utf8.hpp"

namespace ringpost::mail {

namespace {

constexpr size_t kMaxCharset = 64;

bool all_blank(std::string_view s) {
    for (char c : s)
        if (!util::is_wsp_or_eol(c)) return false;
    return true;
}

struct EncodedWord {
    std::string_view charset;   // without an RFC 2231 "*language"
    std::string bytes;          // decoded, still in charset
    size_t end = 0;             // just past the closing "?="
};

// At text[start] == "=?": the encoded word there. On failure, `resume` is
// where the search for the next word may continue.
bool parse_word(std::string_view text, size_t start, EncodedWord& w, size_t& resume) {
    resume = start + 2;
    size_t i = start + 2;
    size_t charset_end = i;
    while (charset_end < text.size() && charset_end - i <= kMaxCharset && text[charset_end] != '?' &&
           !util::is_wsp_or_eol(text[charset_end]))
        ++charset_end;
    if (charset_end >= text.size() || text[charset_end] != '?' || charset_end == i) return false;
    std::string_view charset = text.substr(i, charset_end - i);
    if (size_t star = charset.find('*'); star != std::string_view::npos) charset = charset.substr(0, star);
    i = charset_end + 1;
    if (i + 1 >= text.size() || text[i + 1] != '?') return false;
    char encoding = text[i];
    if (encoding != 'Q' && encoding != 'q' && encoding != 'B' && encoding != 'b') return false;
    i += 2;
    size_t payload_end = i;
    while (payload_end + 1 < text.size() && !util::is_wsp_or_eol(text[payload_end]) &&
           !(text[payload_end] == '?' && text[payload_end + 1] == '='))
        ++payload_end;
    if (payload_end + 1 >= text.size() || text[payload_end] != '?') {
        resume = payload_end;
        return false;
    }
    std::string_view payload = text.substr(i, payload_end - i);
    w.charset = charset;
    w.bytes = encoding == 'Q' || encoding == 'q' ? decode_q_word(payload) : base64::decode_lenient(payload);
    w.end = payload_end + 2;
    return true;
}

}  // namespace

std::string decode_encoded_words(std::string_view text) {
    std::string out;
    std::string pending;   // bytes of adjacent words in pending_charset
    std::string_view pending_charset;
    auto flush = [&] {
        if (!pending.empty()) out += charset_to_utf8(pending, pending_charset);
        pending.clear();
    };
    size_t plain_start = 0;   // text not yet copied starts here
    bool after_word = false;
    size_t pos = 0;
    while ((pos = text.find("=?", pos)) != std::string_view::npos) {
        EncodedWord w;
        size_t resume;
        if (!parse_word(text, pos, w, resume)) {
            pos = resume;
            continue;
        }
        std::string_view between = text.substr(plain_start, pos - plain_start);
        if (!after_word || !all_blank(between)) {
            flush();
            out += utf8::sanitize(between);
        }
        if (!util::iequals(w.charset, pending_charset)) flush();
        pending_charset = w.charset;
        pending += w.bytes;
        after_word = true;
        plain_start = pos = w.end;
    }
    flush();
    out += utf8::sanitize(text.substr(plain_start));
    return out;
}

}  // namespace ringpost::mail
