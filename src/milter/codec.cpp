// The milter wire codec; see codec.hpp.
#include "milter/codec.hpp"

#include <algorithm>

#include "milter/protocol.hpp"

namespace ringpost::milter {
namespace {

void put_u32(std::string& out, uint32_t v) {
    out.push_back(static_cast<char>(v >> 24));
    out.push_back(static_cast<char>(v >> 16));
    out.push_back(static_cast<char>(v >> 8));
    out.push_back(static_cast<char>(v));
}

uint32_t get_u32(std::string_view s) {
    auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(s[i])); };
    return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

void put_cstring(std::string& payload, std::string_view s) {
    // A NUL inside would end the string early on the other side.
    payload.append(s.substr(0, s.find('\0')));
    payload.push_back('\0');
}

std::string bracketed(std::string_view address) { return "<" + std::string(address) + ">"; }

void put_address(std::string& out, char code, std::string_view address, const std::vector<std::string>& args) {
    std::string payload;
    put_cstring(payload, bracketed(address));
    for (const std::string& a : args) put_cstring(payload, a);
    put_packet(out, code, payload);
}

// Splits NUL-terminated strings off the front of `s`: false when the
// terminator is missing.
bool take_cstring(std::string_view& s, std::string& out) {
    const size_t nul = s.find('\0');
    if (nul == std::string_view::npos) return false;
    out.assign(s.substr(0, nul));
    s.remove_prefix(nul + 1);
    return true;
}

// A header field name as RFC 5322 allows it: printable ASCII without ':'.
bool valid_field_name(std::string_view name) {
    return !name.empty() && name.size() <= 998 &&
           std::all_of(name.begin(), name.end(), [](char c) { return c > ' ' && c < 127 && c != ':'; });
}

bool decode_header(std::string_view p, bool indexed, Reply& r, std::string& error) {
    if (indexed) {
        if (p.size() < 4) return (error = "header edit without its index", false);
        r.index = get_u32(p);
        p.remove_prefix(4);
    }
    if (!take_cstring(p, r.name) || !take_cstring(p, r.value)) return (error = "header edit without NUL terminators", false);
    if (!valid_field_name(r.name)) return (error = "header edit with a bad field name", false);
    return true;
}

// A recipient or sender: the string up to its NUL (a missing NUL is
// tolerated: some milters send the bare string), then optional arguments.
bool decode_address(std::string_view p, bool with_args, Reply& r, std::string& error) {
    if (!take_cstring(p, r.text)) {
        r.text.assign(p);
        p = {};
    }
    if (with_args && !p.empty() && !take_cstring(p, r.args)) r.args.assign(p);
    if (r.text.size() >= 2 && r.text.front() == '<' && r.text.back() == '>') r.text = r.text.substr(1, r.text.size() - 2);
    if (r.text.find_first_of("\r\n") != std::string::npos) return (error = "address with a line break", false);
    return true;
}

bool decode(char code, std::string_view p, Reply& r, std::string& error) {
    r.code = code;
    switch (code) {
    case rep::kOptionNegotiation:
        if (p.size() < 12) return (error = "option negotiation reply shorter than 12 bytes", false);
        r.version = get_u32(p);
        r.actions = get_u32(p.substr(4));
        r.protocol = get_u32(p.substr(8));
        return true;   // SMFIR_SETSYMLIST data may follow; ignored
    case rep::kAccept: case rep::kContinue: case rep::kDiscard: case rep::kReject: case rep::kTempfail:
    case rep::kProgress: case rep::kSkip: case rep::kConnectionFailure: case rep::kShutdown:
    case rep::kSetSymbolList:
        return true;
    case rep::kAddHeader:
        return decode_header(p, false, r, error);
    case rep::kInsertHeader: case rep::kChangeHeader:
        return decode_header(p, true, r, error);
    case rep::kAddRcpt: case rep::kDeleteRcpt:
        return decode_address(p, false, r, error);
    case rep::kAddRcptWithArgs: case rep::kChangeFrom:
        return decode_address(p, true, r, error);
    case rep::kReplaceBody:
        r.text.assign(p);
        return true;
    case rep::kQuarantine:
        if (!take_cstring(p, r.text)) r.text.assign(p);
        return true;
    case rep::kReplyCode: {
        if (!take_cstring(p, r.text)) r.text.assign(p);
        auto parsed = parse_smtp_reply(r.text);
        if (!parsed) return (error = parsed.error().message, false);
        return true;
    }
    default:
        error = "unknown reply code 0x" + std::string(1, "0123456789abcdef"[(code >> 4) & 15]) +
                std::string(1, "0123456789abcdef"[code & 15]);
        return false;
    }
}

bool digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "5.7.1": class.subject.detail (RFC 3463), each 1-3 digits.
bool enhanced_code(std::string_view s) {
    const size_t a = s.find('.');
    const size_t b = a == std::string_view::npos ? a : s.find('.', a + 1);
    if (b == std::string_view::npos) return false;
    const std::string_view x = s.substr(0, a), y = s.substr(a + 1, b - a - 1), z = s.substr(b + 1);
    return x.size() == 1 && digits(x) && digits(y) && y.size() <= 3 && digits(z) && z.size() <= 3;
}

}  // namespace

void put_packet(std::string& out, char code, std::string_view payload) {
    put_u32(out, static_cast<uint32_t>(payload.size() + 1));
    out.push_back(code);
    out.append(payload);
}

void put_option_negotiation(std::string& out, uint32_t version, uint32_t actions, uint32_t protocol) {
    std::string payload;
    put_u32(payload, version);
    put_u32(payload, actions);
    put_u32(payload, protocol);
    put_packet(out, cmd::kOptionNegotiation, payload);
}

void put_macros(std::string& out, char for_code, const Macros& macros) {
    std::string payload(1, for_code);
    for (const auto& [name, value] : macros) {
        put_cstring(payload, name);
        put_cstring(payload, value);
    }
    put_packet(out, cmd::kMacro, payload);
}

void put_connect(std::string& out, std::string_view hostname, std::string_view ip, uint16_t port) {
    std::string payload;
    put_cstring(payload, hostname);
    if (ip.empty()) {
        payload.push_back('U');
    } else {
        payload.push_back(ip.find(':') != std::string_view::npos ? '6' : '4');
        payload.push_back(static_cast<char>(port >> 8));
        payload.push_back(static_cast<char>(port));
        put_cstring(payload, ip);
    }
    put_packet(out, cmd::kConnect, payload);
}

void put_helo(std::string& out, std::string_view helo) {
    std::string payload;
    put_cstring(payload, helo);
    put_packet(out, cmd::kHelo, payload);
}

void put_mail(std::string& out, std::string_view sender, const std::vector<std::string>& args) {
    put_address(out, cmd::kMail, sender, args);
}

void put_rcpt(std::string& out, std::string_view rcpt, const std::vector<std::string>& args) {
    put_address(out, cmd::kRcpt, rcpt, args);
}

void put_header(std::string& out, std::string_view name, std::string_view value) {
    std::string payload;
    put_cstring(payload, name);
    put_cstring(payload, value);
    put_packet(out, cmd::kHeader, payload);
}

void put_bare(std::string& out, char code) { put_packet(out, code, {}); }

void put_body(std::string& out, std::string_view chunk) { put_packet(out, cmd::kBody, chunk); }

Result<SmtpReply> parse_smtp_reply(std::string_view text) {
    SmtpReply r;
    std::string_view rest = text;
    while (!rest.empty()) {
        size_t end = rest.find('\n');
        std::string_view line = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.size() < 3 || !digits(line.substr(0, 3)) || (line[0] != '4' && line[0] != '5'))
            return make_error("the milter's reply is not a 4xx or 5xx SMTP reply");
        const uint16_t code = static_cast<uint16_t>((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
        if (r.code != 0 && code != r.code) return make_error("the milter's reply has different codes on its lines");
        r.code = code;
        if (line.size() > 3 && line[3] != ' ' && line[3] != '-') return make_error("the milter's reply has a bad separator");
        std::string_view words = line.size() > 4 ? line.substr(4) : std::string_view{};
        const size_t space = words.find(' ');
        const std::string_view first = words.substr(0, space);
        if (enhanced_code(first)) {
            if (first[0] != line[0]) return make_error("the milter's enhanced code is not of its reply's class");
            if (r.enhanced.empty()) r.enhanced.assign(first);
            words = space == std::string_view::npos ? std::string_view{} : words.substr(space + 1);
        }
        if (!r.text.empty()) r.text += " / ";
        r.text.append(words);
    }
    if (r.code == 0) return make_error("the milter's reply is empty");
    return r;
}

Parse next_reply(std::string_view input, size_t& consumed, Reply& out, std::string& error) {
    consumed = 0;
    if (input.size() < 4) return Parse::kNeedMore;
    const uint32_t length = get_u32(input);
    if (length == 0) return (error = "empty packet", Parse::kError);
    if (length > kMaxPacket) return (error = "packet of " + std::to_string(length) + " bytes", Parse::kError);
    if (input.size() - 4 < length) return Parse::kNeedMore;
    out = Reply{};
    if (!decode(input[4], input.substr(5, length - 1), out, error)) return Parse::kError;
    consumed = 4 + length;
    return Parse::kReply;
}

}  // namespace ringpost::milter
