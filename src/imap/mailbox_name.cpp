// Modified UTF-7 and INBOX (see mailbox_name.hpp).
#include "imap/mailbox_name.hpp"

#include <cstdint>

#include "imap/chars.hpp"
#include "util/utf8.hpp"

namespace ringpost::imap {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == ',') return 63;
    return -1;
}

bool is_printable(uint32_t cp) { return cp >= 0x20 && cp <= 0x7e; }

// Accumulates UTF-16 units as modified base64.
class Base64Writer {
public:
    explicit Base64Writer(std::string& out) : out_(out) {}
    void unit(uint16_t u) {
        bits_ = (bits_ << 16) | u;
        nbits_ += 16;
        while (nbits_ >= 6) {
            nbits_ -= 6;
            out_ += kAlphabet[(bits_ >> nbits_) & 0x3f];
        }
    }
    void finish() {
        if (nbits_ > 0) out_ += kAlphabet[(bits_ << (6 - nbits_)) & 0x3f];
        bits_ = 0;
        nbits_ = 0;
    }

private:
    std::string& out_;
    uint32_t bits_ = 0;
    int nbits_ = 0;
};

}  // namespace

Result<std::string> decode_mutf7(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    size_t i = 0;
    bool after_shift = false;   // the previous character closed a shifted run
    while (i < name.size()) {
        char c = name[i];
        if (!is_printable(static_cast<unsigned char>(c))) {
            return make_error("Mailbox name is not modified UTF-7: 8-bit or control character");
        }
        if (c != '&') {
            out += c;
            ++i;
            after_shift = false;
            continue;
        }
        ++i;
        if (i < name.size() && name[i] == '-') {
            out += '&';
            ++i;
            after_shift = false;
            continue;
        }
        if (after_shift) return make_error("Mailbox name is not modified UTF-7: split shifted run");
        uint32_t bits = 0;
        int nbits = 0;
        uint32_t high = 0;   // pending high surrogate
        bool any = false;
        while (true) {
            if (i >= name.size()) return make_error("Mailbox name is not modified UTF-7: unterminated '&'");
            char b = name[i++];
            if (b == '-') break;
            int v = base64_value(b);
            if (v < 0) return make_error("Mailbox name is not modified UTF-7: bad base64 character");
            bits = (bits << 6) | static_cast<uint32_t>(v);
            nbits += 6;
            if (nbits < 16) continue;
            nbits -= 16;
            uint32_t unit = (bits >> nbits) & 0xffff;
            bits &= (1u << nbits) - 1;
            any = true;
            if (high != 0) {
                if (unit < 0xdc00 || unit > 0xdfff) {
                    return make_error("Mailbox name is not modified UTF-7: unpaired surrogate");
                }
                utf8::append(out, 0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00));
                high = 0;
            } else if (unit >= 0xd800 && unit <= 0xdbff) {
                high = unit;
            } else if (unit >= 0xdc00 && unit <= 0xdfff) {
                return make_error("Mailbox name is not modified UTF-7: unpaired surrogate");
            } else if (is_printable(unit)) {
                return make_error("Mailbox name is not modified UTF-7: encoded printable character");
            } else if (unit < 0x20 || unit == 0x7f) {
                return make_error("Mailbox name contains a control character");
            } else {
                utf8::append(out, unit);
            }
        }
        if (!any || high != 0 || nbits >= 6 || bits != 0) {
            return make_error("Mailbox name is not modified UTF-7: bad shifted run");
        }
        after_shift = true;
    }
    return out;
}

std::string encode_mutf7(std::string_view utf8) {
    std::string out;
    out.reserve(utf8.size() + utf8.size() / 2);
    Base64Writer b64(out);
    bool shifted = false;
    size_t i = 0;
    while (i < utf8.size()) {
        uint32_t cp;
        if (!utf8::next_code_point(utf8, i, cp)) cp = 0xfffd;
        if (is_printable(cp)) {
            if (shifted) {
                b64.finish();
                out += '-';
                shifted = false;
            }
            out += static_cast<char>(cp);
            if (cp == '&') out += '-';
            continue;
        }
        if (!shifted) {
            out += '&';
            shifted = true;
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            b64.unit(static_cast<uint16_t>(0xd800 + (cp >> 10)));
            b64.unit(static_cast<uint16_t>(0xdc00 + (cp & 0x3ff)));
        } else {
            b64.unit(static_cast<uint16_t>(cp));
        }
    }
    if (shifted) {
        b64.finish();
        out += '-';
    }
    return out;
}

bool is_valid_utf8(std::string_view s) {
    size_t i = 0;
    uint32_t cp;
    while (i < s.size()) {
        if (!utf8::next_code_point(s, i, cp)) return false;
    }
    return true;
}

bool is_inbox(std::string_view name) {
    if (name.size() != 5) return false;
    const char* inbox = "INBOX";
    for (size_t i = 0; i < 5; ++i) {
        if (to_upper(name[i]) != inbox[i]) return false;
    }
    return true;
}

void normalize_inbox(std::string& name) {
    if (is_inbox(name)) name = "INBOX";
}

}  // namespace ringpost::imap
