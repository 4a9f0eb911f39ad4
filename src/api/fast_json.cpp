// The fast JSON parse (fast_json.hpp): a recursive descent over the text
// that gives up (nullopt) wherever nlohmann must judge.
#include "api/fast_json.hpp"

#include <cstdint>
#include <cstring>

#include "util/utf8.hpp"

namespace ringpost::api {
namespace {

using nlohmann::json;

// Deeper documents go to nlohmann, which has no recursion limit.
constexpr int kMaxDepth = 128;

class Parser {
public:
    explicit Parser(std::string_view text)
        : p_(reinterpret_cast<const unsigned char*>(text.data())), end_(p_ + text.size()) {}

    std::optional<json> document() {
        json v;
        if (!value(v, 0)) return std::nullopt;
        space();
        if (p_ != end_) return std::nullopt;
        return v;
    }

private:
    void space() {
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
    }

    bool literal(std::string_view word) {
        if (static_cast<size_t>(end_ - p_) < word.size() || std::memcmp(p_, word.data(), word.size()) != 0) return false;
        p_ += word.size();
        return true;
    }

    bool value(json& out, int depth) {
        space();
        if (p_ == end_ || depth > kMaxDepth) return false;
        switch (*p_) {
        case '{': return object(out, depth);
        case '[': return array(out, depth);
        case '"': {
            std::string s;
            if (!string(s)) return false;
            out = std::move(s);
            return true;
        }
        case 't': out = true; return literal("true");
        case 'f': out = false; return literal("false");
        case 'n': out = nullptr; return literal("null");
        default: return number(out);
        }
    }

    bool object(json& out, int depth) {
        ++p_;   // '{'
        out = json::object();
        space();
        if (p_ < end_ && *p_ == '}') {
            ++p_;
            return true;
        }
        for (;;) {
            space();
            std::string key;
            if (p_ == end_ || *p_ != '"' || !string(key)) return false;
            space();
            if (p_ == end_ || *p_ != ':') return false;
            ++p_;
            json v;
            if (!value(v, depth + 1)) return false;
            out[key] = std::move(v);   // a repeated key: the last one stands, as in nlohmann
            space();
            if (p_ == end_) return false;
            if (*p_ == '}') {
                ++p_;
                return true;
            }
            if (*p_++ != ',') return false;
        }
    }

    bool array(json& out, int depth) {
        ++p_;   // '['
        out = json::array();
        space();
        if (p_ < end_ && *p_ == ']') {
            ++p_;
            return true;
        }
        for (;;) {
            json v;
            if (!value(v, depth + 1)) return false;
            out.push_back(std::move(v));
            space();
            if (p_ == end_) return false;
            if (*p_ == ']') {
                ++p_;
                return true;
            }
            if (*p_++ != ',') return false;
        }
    }

    // Integers as nlohmann stores them; anything else (fractions,
    // exponents, more than 18 digits) is left to nlohmann.
    bool number(json& out) {
        const bool negative = *p_ == '-';
        if (negative) ++p_;
        const unsigned char* digits = p_;
        while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
        const size_t n = static_cast<size_t>(p_ - digits);
        if (n == 0 || n > 18 || (n > 1 && *digits == '0')) return false;
        if (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
        int64_t v = 0;
        for (const unsigned char* d = digits; d < p_; ++d) v = v * 10 + (*d - '0');
        if (negative) out = -v;
        else out = static_cast<uint64_t>(v);
        return true;
    }

    // A \u escape's four hex digits.
    bool hex4(uint32_t& cp) {
        if (end_ - p_ < 4) return false;
        cp = 0;
        for (int i = 0; i < 4; ++i) {
            const unsigned char c = *p_++;
            cp <<= 4;
            if (c >= '0' && c <= '9') cp |= c - '0';
            else if (c >= 'a' && c <= 'f') cp |= c - 'a' + 10;
            else if (c >= 'A' && c <= 'F') cp |= c - 'A' + 10;
            else return false;
        }
        return true;
    }

    bool escape(std::string& out) {
        if (p_ == end_) return false;
        switch (*p_++) {
        case '"': out += '"'; return true;
        case '\\': out += '\\'; return true;
        case '/': out += '/'; return true;
        case 'b': out += '\b'; return true;
        case 'f': out += '\f'; return true;
        case 'n': out += '\n'; return true;
        case 'r': out += '\r'; return true;
        case 't': out += '\t'; return true;
        case 'u': {
            uint32_t cp = 0;
            if (!hex4(cp) || (cp >= 0xDC00 && cp <= 0xDFFF)) return false;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t low = 0;
                if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
                p_ += 2;
                if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            utf8::append(out, cp);
            return true;
        }
        default: return false;
        }
    }

    bool string(std::string& out) {
        ++p_;   // '"'
        // Room up to the next quote at once: the closing one unless the text
        // has an escaped quote, and the decoded text is never longer. (A 4 KiB
        // content grew by doubling, a copy each time.)
        if (const void* quote = std::memchr(p_, '"', static_cast<size_t>(end_ - p_)))
            out.reserve(out.size() + static_cast<size_t>(static_cast<const unsigned char*>(quote) - p_));
        for (;;) {
            // The plain run up to the next quote, backslash, control or non-ASCII byte.
            const unsigned char* run = p_;
            while (p_ < end_ && *p_ >= 0x20 && *p_ < 0x80 && *p_ != '"' && *p_ != '\\') ++p_;
            out.append(reinterpret_cast<const char*>(run), static_cast<size_t>(p_ - run));
            if (p_ == end_) return false;
            const unsigned char c = *p_;
            if (c == '"') {
                ++p_;
                return true;
            }
            if (c == '\\') {
                ++p_;
                if (!escape(out)) return false;
            } else if (c >= 0x80) {
                // One well-formed sequence (RFC 3629), as nlohmann requires.
                const std::string_view rest(reinterpret_cast<const char*>(p_), static_cast<size_t>(end_ - p_));
                size_t n = 0;
                uint32_t cp = 0;
                if (!utf8::next_code_point(rest, n, cp)) return false;
                out.append(rest.substr(0, n));
                p_ += n;
            } else {
                return false;   // a control character
            }
        }
    }

    const unsigned char* p_;
    const unsigned char* end_;
};

}  // namespace

std::optional<json> fast_parse_json(std::string_view text) { return Parser(text).document(); }

}  // namespace ringpost::api
