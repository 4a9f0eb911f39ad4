// MAIL FROM / RCPT TO argument parsing (see address.hpp). A hand-written
// scanner over the grammar of RFC 5321 4.1.2: regular expressions would
// allocate and could not handle quoted local parts containing '>' or '@'.
#include "smtp/address.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstring>

#include "smtp/command.hpp"

namespace ringpost::smtp {

namespace {

constexpr size_t npos = std::string_view::npos;

// RFC 5321 4.5.3.1.3: a path is at most 256 octets including the brackets.
constexpr size_t kMaxMailbox = 254;
constexpr size_t kMaxDomain = 255;
constexpr size_t kMaxLabel = 63;
constexpr size_t kMaxEnvid = 100;   // RFC 3461 4.4
constexpr size_t kMaxOrcpt = 500;   // RFC 3461 4.2

enum : uint8_t { kAtext = 1, kLdh = 2, kAlnum = 4 };

constexpr std::array<uint8_t, 256> make_classes() {
    std::array<uint8_t, 256> t{};
    for (int c = 'a'; c <= 'z'; ++c) t[c] = kAtext | kLdh | kAlnum;
    for (int c = 'A'; c <= 'Z'; ++c) t[c] = kAtext | kLdh | kAlnum;
    for (int c = '0'; c <= '9'; ++c) t[c] = kAtext | kLdh | kAlnum;
    for (char c : std::string_view("!#$%&'*+-/=?^_`{|}~")) t[uint8_t(c)] |= kAtext;
    t['-'] |= kLdh;
    // Underscores are not legal in host names, but they occur in real mail
    // domains and Postfix accepts them; refusing would only lose mail.
    t['_'] |= kLdh;
    return t;
}
constexpr std::array<uint8_t, 256> kClass = make_classes();

bool is(char c, uint8_t cls) { return (kClass[uint8_t(c)] & cls) != 0; }
bool is_8bit(char c) { return uint8_t(c) >= 0x80; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    // RFC 3461 says upper-case only; lower case is unambiguous, so accept it.
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// Walks xtext, handing each decoded byte to `sink`. Decoded bytes must be
// printable (RFC 3461: ENVID and ORCPT carry printable US-ASCII; with
// SMTPUTF8 also UTF-8), so an encoded CR LF cannot end up in a DSN.
template <class Sink>
bool walk_xtext(std::string_view x, bool allow_8bit, Sink&& sink) {
    for (size_t i = 0; i < x.size(); ++i) {
        char c = x[i];
        if (c == '+') {
            if (i + 2 >= x.size()) return false;   // needs two hex digits
            int hi = hex_value(x[i + 1]), lo = hex_value(x[i + 2]);
            if (hi < 0 || lo < 0) return false;
            c = char(hi << 4 | lo);
            i += 2;
            if (uint8_t(c) < 0x20 || uint8_t(c) >= 0x7f) return false;
        } else if (is_8bit(c)) {
            if (!allow_8bit) return false;
        } else if (uint8_t(c) < 0x21 || uint8_t(c) == 0x7f || c == '=') {
            return false;
        }
        sink(c);
    }
    return true;
}

bool valid_xtext(std::string_view x, bool allow_8bit) {
    return walk_xtext(x, allow_8bit, [](char) {}) && (!allow_8bit || valid_utf8(x));
}

// Local-part = Dot-string / Quoted-string. Returns the index after it.
size_t scan_local_part(std::string_view s, size_t i, bool& non_ascii) {
    const size_t n = s.size();
    if (i < n && s[i] == '"') {
        for (++i; i < n; ++i) {
            char c = s[i];
            if (c == '"') return i + 1;
            if (c == '\\') {
                // quoted-pairSMTP = "\" %d32-126
                if (i + 1 >= n || uint8_t(s[i + 1]) < 32 || uint8_t(s[i + 1]) > 126) return npos;
                ++i;
            } else if (is_8bit(c)) {
                non_ascii = true;
            } else if (uint8_t(c) < 32 || uint8_t(c) > 126) {
                return npos;
            }
        }
        return npos;   // unterminated
    }
    // Dot-string = Atom *("." Atom): no leading, trailing or doubled dots.
    for (;;) {
        size_t atom = i;
        while (i < n && (is(s[i], kAtext) || is_8bit(s[i]))) {
            if (is_8bit(s[i])) non_ascii = true;
            ++i;
        }
        if (i == atom) return npos;
        if (i < n && s[i] == '.') {
            ++i;
            continue;
        }
        return i;
    }
}

bool valid_ipv4(std::string_view s) {
    int parts = 0;
    size_t i = 0;
    while (true) {
        size_t start = i;
        unsigned v = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 3) v = v * 10 + unsigned(s[i++] - '0');
        if (i == start || v > 255) return false;
        ++parts;
        if (i == s.size()) return parts == 4;
        if (s[i] != '.' || parts == 4) return false;
        ++i;
    }
}

bool valid_ldh_str(std::string_view s) {
    if (s.empty() || !is(s.front(), kAlnum) || !is(s.back(), kAlnum)) return false;
    for (char c : s)
        if (!is(c, kLdh)) return false;
    return true;
}

// address-literal content between the brackets (RFC 5321 4.1.3).
bool valid_address_literal(std::string_view s) {
    size_t colon = s.find(':');
    if (colon == npos) return valid_ipv4(s);
    std::string_view tag = s.substr(0, colon), rest = s.substr(colon + 1);
    if (iequals(tag, "IPv6")) {
        char buf[INET6_ADDRSTRLEN + 1];
        if (rest.empty() || rest.size() >= sizeof buf) return false;
        std::memcpy(buf, rest.data(), rest.size());
        buf[rest.size()] = '\0';
        unsigned char addr[16];
        return inet_pton(AF_INET6, buf, addr) == 1;
    }
    // General-address-literal = Standardized-tag ":" 1*dcontent
    if (!valid_ldh_str(tag) || rest.empty()) return false;
    for (char c : rest) {
        uint8_t u = uint8_t(c);
        if (!((u >= 33 && u <= 90) || (u >= 94 && u <= 126))) return false;
    }
    return true;
}

// Domain / address-literal. Returns the index after it.
size_t scan_domain(std::string_view s, size_t i, bool allow_literal, bool& non_ascii) {
    const size_t n = s.size();
    if (i < n && s[i] == '[') {
        if (!allow_literal) return npos;
        size_t close = s.find(']', i);
        if (close == npos || !valid_address_literal(s.substr(i + 1, close - i - 1))) return npos;
        return close + 1;
    }
    const size_t start = i;
    for (;;) {
        // sub-domain = Let-dig [Ldh-str]; a U-label (RFC 6531) may hold UTF-8.
        size_t label = i;
        bool label_8bit = false;
        while (i < n && (is(s[i], kLdh) || is_8bit(s[i]))) {
            if (is_8bit(s[i])) label_8bit = true;
            ++i;
        }
        size_t len = i - label;
        if (len == 0 || s[label] == '-' || s[i - 1] == '-') return npos;
        // A U-label's length limit applies to its A-label form, which we do
        // not compute; only ASCII labels are checked.
        if (!label_8bit && len > kMaxLabel) return npos;
        non_ascii |= label_8bit;
        if (i < n && s[i] == '.') {
            ++i;
            continue;
        }
        break;
    }
    return i - start > kMaxDomain ? npos : i;
}

struct PathRules {
    bool allow_null;         // "<>" (reverse-path)
    bool allow_postmaster;   // "<Postmaster>" (forward-path, RFC 5321 4.1.1.3)
};

// Path = "<" [ A-d-l ":" ] Mailbox ">" starting at s[i] == '<'. Returns the
// index after '>' and sets `mailbox` with the source route stripped
// (RFC 5321 C: routes are accepted but ignored).
size_t scan_path(std::string_view s, size_t i, PathRules rules, std::string_view& mailbox, bool& non_ascii) {
    const size_t n = s.size();
    if (i >= n || s[i] != '<') return npos;
    ++i;
    if (rules.allow_null && i < n && s[i] == '>') {
        mailbox = {};
        return i + 1;
    }
    if (i < n && s[i] == '@') {
        // A-d-l = At-domain *( "," At-domain )
        for (;;) {
            if (i >= n || s[i] != '@') return npos;
            bool ignored = false;
            i = scan_domain(s, i + 1, true, ignored);
            if (i == npos || i >= n) return npos;
            if (s[i] == ',') {
                ++i;
                continue;
            }
            if (s[i] != ':') return npos;
            ++i;
            break;
        }
    }
    const size_t start = i;
    if (rules.allow_postmaster && n - i >= 11 && iequals(s.substr(i, 10), "postmaster") && s[i + 10] == '>') {
        mailbox = s.substr(i, 10);
        return i + 11;
    }
    i = scan_local_part(s, i, non_ascii);
    if (i == npos || i >= n || s[i] != '@') return npos;
    i = scan_domain(s, i + 1, true, non_ascii);
    if (i == npos || i >= n || s[i] != '>') return npos;
    mailbox = s.substr(start, i - start);
    if (mailbox.size() > kMaxMailbox) return npos;
    return i + 1;
}

// Consumes "FROM:" / "TO:" (case-insensitive) and the blanks Postfix
// tolerates after the colon. Returns the index of the path or npos.
size_t skip_prefix(std::string_view arg, std::string_view prefix) {
    if (arg.size() < prefix.size() || !iequals(arg.substr(0, prefix.size()), prefix)) return npos;
    size_t i = prefix.size();
    while (i < arg.size() && (arg[i] == ' ' || arg[i] == '\t')) ++i;
    return i;
}

// One "keyword[=value]" parameter.
struct Param {
    std::string_view token;     // whole "KEYWORD=value", for error replies
    std::string_view keyword;
    std::string_view value;
    bool has_value = false;
};

// Splits the parameter list at blanks. Returns an error reply for a token
// that is not esmtp-keyword ["=" esmtp-value].
class ParamReader {
public:
    explicit ParamReader(std::string_view rest) : rest_(rest) {}

    bool next(Param& p, Reply& error) {
        while (!rest_.empty() && (rest_.front() == ' ' || rest_.front() == '\t')) rest_.remove_prefix(1);
        if (rest_.empty()) return false;
        size_t end = 0;
        while (end < rest_.size() && rest_[end] != ' ' && rest_[end] != '\t') ++end;
        p = Param{};
        p.token = rest_.substr(0, end);
        rest_.remove_prefix(end);
        size_t eq = p.token.find('=');
        p.keyword = p.token.substr(0, eq);
        if (eq != npos) {
            p.has_value = true;
            p.value = p.token.substr(eq + 1);
        }
        // esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-");
        // esmtp-value = 1*(%d33-60 / %d62-126) (+ UTF-8, checked by the user).
        bool ok = !p.keyword.empty() && is(p.keyword.front(), kAlnum) && (!p.has_value || !p.value.empty());
        for (char c : p.keyword) ok = ok && (is(c, kAlnum) || c == '-');
        for (char c : p.value) ok = ok && (uint8_t(c) > 0x20 && uint8_t(c) != 0x7f);
        if (!ok) {
            error = Reply{501, "5.5.4", "Bad parameter syntax: ", p.token};
            p = Param{};
            // An error is final: stop so the caller reports it.
            rest_ = {};
            error_ = true;
        }
        return ok;
    }
    bool failed() const { return error_; }

private:
    std::string_view rest_;
    bool error_ = false;
};

Reply unsupported(const Param& p) { return Reply{555, "5.5.4", "Unsupported option: ", p.token}; }
Reply bad_value(const Param& p) { return Reply{501, "5.5.4", "Bad parameter value: ", p.token}; }
Reply duplicate(const Param& p) { return Reply{501, "5.5.4", "Duplicate parameter: ", p.keyword}; }

// Marks `bit` as seen; false if it was already.
bool first_time(uint32_t& seen, uint32_t bit) {
    if (seen & bit) return false;
    seen |= bit;
    return true;
}

bool parse_size(std::string_view v, uint64_t& out) {
    if (v.empty()) return false;
    uint64_t n = 0;
    for (char c : v) {
        if (c < '0' || c > '9') return false;
        uint64_t d = uint64_t(c - '0');
        // Saturate instead of failing: a number this big is simply "too
        // large" and deserves 552, not a syntax error.
        n = n > (UINT64_MAX - d) / 10 ? UINT64_MAX : n * 10 + d;
    }
    out = n;
    return true;
}

bool parse_notify(std::string_view v, uint8_t& out) {
    uint8_t flags = 0;
    while (true) {
        size_t comma = v.find(',');
        std::string_view item = v.substr(0, comma);
        if (iequals(item, "NEVER")) flags |= mail::kNotifyNever;
        else if (iequals(item, "SUCCESS")) flags |= mail::kNotifySuccess;
        else if (iequals(item, "FAILURE")) flags |= mail::kNotifyFailure;
        else if (iequals(item, "DELAY")) flags |= mail::kNotifyDelay;
        else return false;   // includes empty items ("SUCCESS,,DELAY")
        if (comma == npos) break;
        v.remove_prefix(comma + 1);
    }
    // RFC 3461 4.1: NEVER must not be combined with the others.
    if ((flags & mail::kNotifyNever) && flags != mail::kNotifyNever) return false;
    out = flags;
    return true;
}

bool valid_orcpt(std::string_view v, bool smtputf8) {
    if (v.size() > kMaxOrcpt) return false;
    size_t semi = v.find(';');
    if (semi == npos || semi == 0 || semi + 1 == v.size()) return false;
    // addr-type = atom ("rfc822", "utf-8", ...)
    for (char c : v.substr(0, semi))
        if (!is(c, kAtext)) return false;
    return valid_xtext(v.substr(semi + 1), smtputf8);
}

}  // namespace

bool valid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        unsigned char c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F, min = 0x800;
        else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07, min = 0x10000;
        else return false;
        if (size_t(end - p) < len) return false;
        for (size_t k = 1; k < len; ++k) {
            if ((p[k] & 0xC0) != 0x80) return false;
            cp = cp << 6 | (p[k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        p += len;
    }
    return true;
}

bool decode_xtext(std::string_view xtext, std::string& out) {
    size_t mark = out.size();
    if (walk_xtext(xtext, true, [&out](char c) { out.push_back(c); })) return true;
    out.resize(mark);
    return false;
}

bool decode_orcpt(std::string_view orcpt, std::string& out) {
    size_t semi = orcpt.find(';');
    if (semi == npos) return false;
    size_t mark = out.size();
    out.append(orcpt.substr(0, semi + 1));
    if (decode_xtext(orcpt.substr(semi + 1), out)) return true;
    out.resize(mark);
    return false;
}

Reply parse_mail_from(std::string_view arg, const Extensions& ext, MailFrom& out) {
    static constexpr Reply kSyntax{501, "5.5.4", "Syntax: MAIL FROM:<address>", {}};
    static constexpr Reply kBadAddress{501, "5.1.7", "Bad sender address syntax", {}};
    out = MailFrom{};
    size_t i = skip_prefix(arg, "FROM:");
    if (i == npos || i == arg.size()) return kSyntax;
    bool non_ascii = false;
    i = scan_path(arg, i, PathRules{true, false}, out.address, non_ascii);
    if (i == npos || (i < arg.size() && arg[i] != ' ' && arg[i] != '\t')) return kBadAddress;

    enum : uint32_t { kSize = 1, kBody = 2, kUtf8 = 4, kRet = 8, kEnvid = 16 };
    uint32_t seen = 0;
    ParamReader params(arg.substr(i));
    Param p;
    Reply error;
    while (params.next(p, error)) {
        // HELO clients get no extensions, hence no parameters (RFC 5321 4.1.1.11).
        if (!ext.esmtp) return unsupported(p);
        if (iequals(p.keyword, "SIZE")) {
            if (!first_time(seen, kSize)) return duplicate(p);
            if (!p.has_value || !parse_size(p.value, out.size)) return bad_value(p);
            out.size_given = true;
        } else if (iequals(p.keyword, "BODY")) {
            if (!first_time(seen, kBody)) return duplicate(p);
            if (iequals(p.value, "7BIT")) out.body = mail::BodyType::k7Bit;
            else if (iequals(p.value, "8BITMIME")) out.body = mail::BodyType::k8BitMime;
            else if (iequals(p.value, "BINARYMIME")) {
                if (!ext.chunking) return unsupported(p);   // only offered with CHUNKING
                out.body = mail::BodyType::kBinaryMime;
            } else return bad_value(p);
        } else if (iequals(p.keyword, "SMTPUTF8") && ext.smtputf8) {
            if (!first_time(seen, kUtf8)) return duplicate(p);
            if (p.has_value) return bad_value(p);
            out.smtputf8 = true;
        } else if (iequals(p.keyword, "RET") && ext.dsn) {
            if (!first_time(seen, kRet)) return duplicate(p);
            if (iequals(p.value, "FULL")) out.ret = mail::DsnRet::kFull;
            else if (iequals(p.value, "HDRS")) out.ret = mail::DsnRet::kHeaders;
            else return bad_value(p);
        } else if (iequals(p.keyword, "ENVID") && ext.dsn) {
            if (!first_time(seen, kEnvid)) return duplicate(p);
            if (!p.has_value || p.value.size() > kMaxEnvid || !valid_xtext(p.value, false)) return bad_value(p);
            out.envid = p.value;
        } else {
            return unsupported(p);
        }
    }
    if (params.failed()) return error;
    // Checked last: SMTPUTF8 may come after the address it allows.
    if (non_ascii) {
        if (!valid_utf8(out.address)) return kBadAddress;
        if (!out.smtputf8) return Reply{553, "5.6.7", "Must declare SMTPUTF8 to send unicode address", {}};
    }
    return Reply{};
}

Reply parse_rcpt_to(std::string_view arg, const Extensions& ext, bool smtputf8, RcptTo& out) {
    static constexpr Reply kSyntax{501, "5.5.4", "Syntax: RCPT TO:<address>", {}};
    static constexpr Reply kBadAddress{501, "5.1.3", "Bad recipient address syntax", {}};
    out = RcptTo{};
    size_t i = skip_prefix(arg, "TO:");
    if (i == npos || i == arg.size()) return kSyntax;
    bool non_ascii = false;
    i = scan_path(arg, i, PathRules{false, true}, out.address, non_ascii);
    if (i == npos || (i < arg.size() && arg[i] != ' ' && arg[i] != '\t')) return kBadAddress;
    if (non_ascii) {
        if (!valid_utf8(out.address)) return kBadAddress;
        if (!smtputf8) return Reply{553, "5.6.7", "Must declare SMTPUTF8 to send unicode address", {}};
    }

    enum : uint32_t { kNotify = 1, kOrcpt = 2 };
    uint32_t seen = 0;
    ParamReader params(arg.substr(i));
    Param p;
    Reply error;
    while (params.next(p, error)) {
        if (!ext.esmtp) return unsupported(p);
        if (iequals(p.keyword, "NOTIFY") && ext.dsn) {
            if (!first_time(seen, kNotify)) return duplicate(p);
            if (!p.has_value || !parse_notify(p.value, out.notify)) return bad_value(p);
        } else if (iequals(p.keyword, "ORCPT") && ext.dsn) {
            if (!first_time(seen, kOrcpt)) return duplicate(p);
            if (!p.has_value || !valid_orcpt(p.value, smtputf8)) return bad_value(p);
            out.orcpt = p.value;
        } else {
            return unsupported(p);
        }
    }
    if (params.failed()) return error;
    return Reply{};
}

}  // namespace ringpost::smtp
