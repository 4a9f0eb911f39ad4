// Charset conversion; see charset.hpp.
#include "mail/charset.hpp"

#include <iconv.h>

#include <cerrno>
#include <cstdint>

#include "mail/header_block.hpp"
#include "util/ascii.hpp"
#include "util/utf8.hpp"

namespace ringpost::mail {

namespace {

constexpr size_t kMaxCharsetName = 40;
constexpr std::string_view kReplacementUtf8 = "\xEF\xBF\xBD";

// Letters, digits and "-_.:+" only: iconv reads "//TRANSLIT" or a path in a
// name as instructions, and a MIME charset never needs them.
bool is_plain_charset_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxCharsetName) return false;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                  c == '_' || c == '.' || c == ':' || c == '+';
        if (!ok) return false;
    }
    return true;
}

bool is_utf8_name(std::string_view lower) {
    return lower.empty() || lower == "utf-8" || lower == "utf8" || lower == "us-ascii" || lower == "ascii";
}

bool is_latin1_name(std::string_view lower) {
    return lower == "iso-8859-1" || lower == "iso8859-1" || lower == "latin1" || lower == "latin-1" ||
           lower == "iso_8859-1" || lower == "windows-1252" || lower == "cp1252";
}

// 0x80-0x9F in Windows-1252; the five it leaves undefined keep their C1
// code points, as in the WHATWG Encoding Standard.
constexpr uint16_t kWindows1252High[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

// ISO-8859-1 read as its superset Windows-1252, as browsers and mail
// readers do: C1 controls never occur in real text, while "smart quotes"
// and the euro sign from Windows mailers labelled ISO-8859-1 are common.
std::string windows1252_to_utf8(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() + bytes.size() / 4);
    for (char c : bytes) {
        auto b = static_cast<unsigned char>(c);
        utf8::append(out, b >= 0x80 && b < 0xA0 ? kWindows1252High[b - 0x80] : b);
    }
    return out;
}

// MIME labels glibc's iconv does not know, and the name it knows them by.
struct Alias {
    std::string_view label;
    const char* iconv_name;
};
constexpr Alias kAliases[] = {
    {"ks_c_5601-1987", "CP949"},   {"ks_c_5601-1989", "CP949"}, {"x-sjis", "SHIFT_JIS"},
    {"x-gbk", "GBK"},              {"x-euc-jp", "EUC-JP"},      {"x-mac-roman", "MACINTOSH"},
    {"unicode-1-1-utf-7", "UTF-7"}, {"iso-8859-8-i", "ISO-8859-8"}, {"iso-8859-6-i", "ISO-8859-6"},
};

std::string iconv_name(const std::string& lower) {
    for (const Alias& a : kAliases)
        if (a.label == lower) return a.iconv_name;
    return lower;
}

class Iconv {
public:
    explicit Iconv(const std::string& from) : cd_(iconv_open("UTF-8", from.c_str())) {}
    ~Iconv() {
        if (ok()) iconv_close(cd_);
    }
    Iconv(const Iconv&) = delete;
    Iconv& operator=(const Iconv&) = delete;

    bool ok() const { return cd_ != reinterpret_cast<iconv_t>(-1); }

    std::string convert(std::string_view bytes) {
        std::string out;
        out.reserve(bytes.size() + bytes.size() / 2);
        char* in = const_cast<char*>(bytes.data());   // iconv's signature; it does not write
        size_t in_left = bytes.size();
        char buf[4096];
        while (in_left > 0) {
            char* o = buf;
            size_t o_left = sizeof buf;
            size_t r = iconv(cd_, &in, &in_left, &o, &o_left);
            int err = errno;
            out.append(buf, static_cast<size_t>(o - buf));
            if (r != static_cast<size_t>(-1)) continue;
            if (err == E2BIG && o != buf) continue;   // the buffer is full: go on
            // EILSEQ (invalid) or EINVAL (truncated at the end): the byte
            // becomes U+FFFD and conversion resumes after it.
            out += kReplacementUtf8;
            ++in;
            --in_left;
        }
        char* o = buf;   // the end of a stateful encoding (ISO-2022-JP)
        size_t o_left = sizeof buf;
        if (iconv(cd_, nullptr, nullptr, &o, &o_left) != static_cast<size_t>(-1))
            out.append(buf, static_cast<size_t>(o - buf));
        return out;
    }

private:
    iconv_t cd_;
};

}  // namespace

std::string charset_to_utf8(std::string_view bytes, std::string_view charset) {
    std::string name = util::ascii_lower(charset);
    if (is_utf8_name(name) || !is_plain_charset_name(name)) return utf8::sanitize(bytes);
    if (is_latin1_name(name)) return windows1252_to_utf8(bytes);
    Iconv conv(iconv_name(name));
    if (!conv.ok()) return utf8::sanitize(bytes);
    // glibc's UTF-8 output is valid; sanitize anyway, it is cheap and makes
    // the promise independent of the converter.
    return utf8::sanitize(conv.convert(bytes));
}

}  // namespace ringpost::mail
