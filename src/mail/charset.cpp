// Charset conversion; see charset.hpp.
#include "mail/charset.hpp"

#include <iconv.h>

#include <cerrno>

#include "mail/header_block.hpp"
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
    return lower == "iso-8859-1" || lower == "iso8859-1" || lower == "latin1" || lower == "iso_8859-1";
}

std::string latin1_to_utf8(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() + bytes.size() / 4);
    for (char c : bytes) utf8::append(out, static_cast<unsigned char>(c));
    return out;
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
    std::string name = to_lower(charset);
    if (is_utf8_name(name) || !is_plain_charset_name(name)) return utf8::sanitize(bytes);
    if (is_latin1_name(name)) return latin1_to_utf8(bytes);
    Iconv conv(name);
    if (!conv.ok()) return utf8::sanitize(bytes);
    // glibc's UTF-8 output is valid; sanitize anyway, it is cheap and makes
    // the promise independent of the converter.
    return utf8::sanitize(conv.convert(bytes));
}

}  // namespace ringpost::mail
