// Base64 encoding, strict and lenient decoding (see base64.hpp).
#include "util/base64.hpp"

#include <cstdint>

namespace ringpost::base64 {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

}  // namespace

void encode(std::string_view in, std::string& out) {
    out.reserve(out.size() + (in.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        uint32_t v = uint32_t(uint8_t(in[i])) << 16 | uint32_t(uint8_t(in[i + 1])) << 8 | uint8_t(in[i + 2]);
        out += kAlphabet[v >> 18];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    size_t rest = in.size() - i;
    if (rest == 0) return;
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    if (rest == 2) v |= uint32_t(uint8_t(in[i + 1])) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
}

bool decode(std::string_view in, std::string& out) {
    if (in.size() % 4 != 0) return false;
    out.reserve(out.size() + in.size() / 4 * 3);
    for (size_t i = 0; i < in.size(); i += 4) {
        const bool last = i + 4 == in.size();
        int a = value(in[i]);
        int b = value(in[i + 1]);
        if (a < 0 || b < 0) return false;
        if (last && in[i + 2] == '=') {
            // "xx==": one byte; the low 4 bits of b must be zero.
            if (in[i + 3] != '=' || (b & 15) != 0) return false;
            out += char(a << 2 | b >> 4);
            return true;
        }
        int c = value(in[i + 2]);
        if (c < 0) return false;
        if (last && in[i + 3] == '=') {
            // "xxx=": two bytes; the low 2 bits of c must be zero.
            if ((c & 3) != 0) return false;
            out += char(a << 2 | b >> 4);
            out += char((b & 15) << 4 | c >> 2);
            return true;
        }
        int d = value(in[i + 3]);
        if (d < 0) return false;
        out += char(a << 2 | b >> 4);
        out += char((b & 15) << 4 | c >> 2);
        out += char((c & 3) << 6 | d);
    }
    return true;
}

std::string decode_lenient(std::string_view in) {
    std::string out;
    out.reserve(in.size() / 4 * 3 + 3);
    uint32_t bits = 0;
    int count = 0;
    for (char c : in) {
        if (c == '=') break;
        int v = value(c);
        if (v < 0) continue;
        bits = bits << 6 | uint32_t(v);
        if (++count == 4) {
            out += char(bits >> 16);
            out += char(bits >> 8 & 0xff);
            out += char(bits & 0xff);
            bits = 0;
            count = 0;
        }
    }
    if (count == 2) {
        out += char(bits >> 4 & 0xff);
    } else if (count == 3) {
        out += char(bits >> 10 & 0xff);
        out += char(bits >> 2 & 0xff);
    }
    return out;
}

}  // namespace ringpost::base64
