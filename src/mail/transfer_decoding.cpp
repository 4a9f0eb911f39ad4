// Transfer decodings; see transfer_decoding.hpp.
#include "mail/transfer_decoding.hpp"

#include "util/base64.hpp"

namespace ringpost::mail {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// At s[i] == '=': the byte of "=XX" if two hex digits follow.
bool hex_escape(std::string_view s, size_t i, char& byte) {
    if (s.size() - i < 3) return false;
    int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return false;
    byte = static_cast<char>(hi * 16 + lo);
    return true;
}

}  // namespace

std::string decode_quoted_printable(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    size_t i = 0;
    while (i < in.size()) {
        char c = in[i];
        if (c != '=') {
            out += c;
            ++i;
            continue;
        }
        char byte;
        if (hex_escape(in, i, byte)) {
            out += byte;
            i += 3;
            continue;
        }
        // A soft line break: "=", blanks, then the line end (or the end of
        // the body).
        size_t j = i + 1;
        while (j < in.size() && (in[j] == ' ' || in[j] == '\t')) ++j;
        if (j == in.size()) break;
        if (in[j] == '\n' || (in[j] == '\r' && j + 1 < in.size() && in[j + 1] == '\n')) {
            i = j + (in[j] == '\r' ? 2 : 1);
            continue;
        }
        out += c;   // a stray "=": kept
        ++i;
    }
    return out;
}

std::string decode_q_word(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
        char byte;
        if (in[i] == '_') {
            out += ' ';
        } else if (in[i] == '=' && hex_escape(in, i, byte)) {
            out += byte;
            i += 2;
        } else {
            out += in[i];
        }
    }
    return out;
}

std::string decode_transfer_encoding(std::string_view body, std::string_view encoding) {
    if (encoding == "quoted-printable") return decode_quoted_printable(body);
    if (encoding == "base64") return base64::decode_lenient(body);
    return std::string(body);
}

}  // namespace ringpost::mail
