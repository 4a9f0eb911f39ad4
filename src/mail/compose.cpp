#include "mail/compose.hpp"

#include <cstdio>

#include "mail/eight_bit_downgrade.hpp"
#include "mail/header_block.hpp"
#include "util/ascii.hpp"
#include "util/base64.hpp"
#include "util/utf8.hpp"

namespace ringpost::mail {

namespace {

constexpr size_t kWordBytes = 45;    // 60 base64 characters: a word of 72

Error bad(const std::string& field, const std::string& why) { return make_error(field + ": " + why); }

bool printable_ascii(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c > 0x7e) return false;
    return true;
}

bool has_line_break(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) != s.npos; }

// An addr-spec as SMTP takes it: local@domain, nothing that would need
// quoting or could end a header field or an SMTP command.
bool plausible_address(std::string_view a) {
    const size_t at = a.rfind('@');
    if (at == a.npos || at == 0 || at + 1 == a.size()) return false;
    for (unsigned char c : a)
        if (c <= 0x20 || c == 0x7f || std::string_view("<>()[],;:\\\"").find(char(c)) != std::string_view::npos)
            return false;
    return utf8::valid(a);
}

// A display name as a phrase: atoms as they are, a quoted string when it
// has specials, encoded words when it is not ASCII (RFC 2047 5(3)).
std::string phrase(std::string_view name) {
    if (!printable_ascii(name)) return encode_header_text(name);
    bool atoms = true;
    for (char c : name)
        if (!(util::is_alnum(c) || c == ' ' || std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos))
            atoms = false;
    if (atoms) return std::string(name);
    std::string q = "\"";
    for (char c : name) {
        if (c == '"' || c == '\\') q += '\\';
        q += c;
    }
    return q + '"';
}

Result<std::string> mailbox(const NamedAddress& a, const std::string& field) {
    if (!plausible_address(a.address)) return bad(field, "not an address: \"" + a.address + "\"");
    if (has_line_break(a.name) || !utf8::valid(a.name)) return bad(field, "a name with a line break or invalid UTF-8");
    if (a.name.empty()) return a.address;
    return phrase(a.name) + " <" + a.address + ">";
}

// "Name: a, b, c" folded after a comma before a line passes 78 characters.
Result<std::string> address_field(const char* name, const std::vector<NamedAddress>& list, const char* key) {
    std::string out = std::string(name) + ":";
    size_t line = out.size();
    for (size_t i = 0; i < list.size(); ++i) {
        auto m = mailbox(list[i], std::string(key) + "[" + std::to_string(i) + "]");
        if (!m) return m.error();
        if (i != 0) {
            out += ',';
            ++line;
        }
        if (i != 0 && line + 1 + m->size() > kFoldAt) {
            out += "\r\n";
            line = 0;
        }
        out += ' ' + *m;
        line += 1 + m->size();
    }
    return out + "\r\n";
}

// Text with CRLF line ends (a bare CR or LF becomes CRLF), ending in one.
std::string crlf_text(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 32 + 2);
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r') {
            if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
            out += "\r\n";
        } else if (s[i] == '\n') {
            out += "\r\n";
        } else {
            out += s[i];
        }
    }
    if (!out.ends_with("\r\n")) out += "\r\n";
    return out;
}

bool short_ascii_lines(std::string_view s) {
    size_t line = 0;
    for (unsigned char c : s) {
        if (c == '\n') line = 0;
        else if (c >= 0x80 || c == 0 || ++line > kMaxLineLength) return false;
    }
    return true;
}

struct Entity {
    std::string headers;   // Content-* fields, each ending in CRLF
    std::string body;      // ends in CRLF
};

Result<Entity> text_entity(std::string_view subtype, std::string_view text, const std::string& field,
                           std::string_view boundary_mark) {
    if (!utf8::valid(text)) return bad(field, "not valid UTF-8");
    std::string body = crlf_text(text);
    Entity e;
    e.headers = "Content-Type: text/" + std::string(subtype) + "; charset=utf-8\r\n";
    if (short_ascii_lines(body) && body.find(boundary_mark) == std::string::npos) {
        e.headers += "Content-Transfer-Encoding: 7bit\r\n";
        e.body = std::move(body);
    } else {
        e.headers += "Content-Transfer-Encoding: quoted-printable\r\n";
        encode_quoted_printable(body, e.body);
        if (!e.body.ends_with("\r\n")) e.body += "\r\n";
    }
    return e;
}

// name="x" when x is plain ASCII, name*=UTF-8''%XX... (RFC 2231) otherwise.
std::string file_parameter(std::string_view key, std::string_view file) {
    if (printable_ascii(file) && file.find_first_of("\"\\") == file.npos)
        return std::string(key) + "=\"" + std::string(file) + "\"";
    std::string out = std::string(key) + "*=UTF-8''";
    for (unsigned char c : file) {
        if (util::is_alnum(char(c)) || std::string_view("!#$&+-.^_`|~").find(char(c)) != std::string_view::npos) {
            out += char(c);
        } else {
            char hex[4];
            std::snprintf(hex, sizeof hex, "%%%02X", c);
            out += hex;
        }
    }
    return out;
}

bool valid_media_type(std::string_view t) {
    const size_t slash = t.find('/');
    return slash != t.npos && slash != 0 && slash + 1 < t.size() && printable_ascii(t) &&
           t.find_first_of(" \";") == t.npos;
}

Result<Entity> attachment_entity(const Attachment& a, const std::string& field) {
    if (!valid_media_type(a.content_type)) return bad(field + ".content_type", "expected type/subtype, got \"" + a.content_type + "\"");
    if (has_line_break(a.file_name) || !utf8::valid(a.file_name)) return bad(field + ".file_name", "a line break or invalid UTF-8");
    if (!a.content_id.empty() && (!printable_ascii(a.content_id) || a.content_id.find_first_of("<> ") != a.content_id.npos))
        return bad(field + ".content_id", "expected an id without blanks or angle brackets");
    Entity e;
    e.headers = "Content-Type: " + a.content_type;
    if (!a.file_name.empty()) e.headers += "; " + file_parameter("name", a.file_name);
    e.headers += "\r\nContent-Disposition: ";
    e.headers += a.content_id.empty() ? "attachment" : "inline";
    if (!a.file_name.empty()) e.headers += "; " + file_parameter("filename", a.file_name);
    e.headers += "\r\n";
    if (!a.content_id.empty()) e.headers += "Content-ID: <" + a.content_id + ">\r\n";
    e.headers += "Content-Transfer-Encoding: base64\r\n";
    std::string encoded;
    base64::encode(a.data, encoded);
    for (size_t i = 0; i < encoded.size(); i += 76) e.body.append(encoded, i, 76).append("\r\n");
    return e;
}

Entity multipart(std::string_view subtype, const std::string& boundary, std::vector<Entity> parts) {
    Entity e;
    e.headers = "Content-Type: multipart/" + std::string(subtype) + "; boundary=\"" + boundary + "\"\r\n";
    // Every body ends in CRLF; the CRLF before each delimiter is the
    // delimiter's (RFC 2046 5.1.1), so the body's own last line end stays.
    for (Entity& p : parts) e.body += "\r\n--" + boundary + "\r\n" + p.headers + "\r\n" + p.body;
    e.body += "\r\n--" + boundary + "--\r\n";
    e.body.erase(0, 2);   // the first delimiter starts the body
    return e;
}

bool composed_here(std::string_view name) {
    for (std::string_view own : {"from", "to", "cc", "reply-to", "subject", "mime-version"})
        if (util::iequals(name, own)) return true;
    return util::istarts_with(name, "content-");
}

Result<std::string> extra_headers(const Composition& c) {
    std::string out;
    for (size_t i = 0; i < c.headers.size(); ++i) {
        const auto& [name, value] = c.headers[i];
        const std::string field = "headers." + name;
        if (name.empty() || name.size() > 76 || !printable_ascii(name) || name.find_first_of(": ") != name.npos)
            return bad("headers[" + std::to_string(i) + "]", "not a header field name: \"" + name + "\"");
        if (composed_here(name)) return bad(field, "is composed from the message's own fields");
        if (has_line_break(value) || !utf8::valid(value)) return bad(field, "a line break or invalid UTF-8");
        std::string line = name + ": " + encode_header_text(value);
        if (line.size() > kMaxLineLength) return bad(field, "longer than 998 characters");
        out += line + "\r\n";
    }
    return out;
}

Result<Entity> body_entity(const Composition& c, const std::string& mark, uint64_t seed) {
    char base[40];
    std::snprintf(base, sizeof base, "%s%016llx", mark.c_str(), static_cast<unsigned long long>(seed));
    auto boundary = [&](int level) { return std::string(base) + "_" + std::to_string(level); };
    std::vector<Entity> alternatives;
    if (!c.text.empty()) {
        auto t = text_entity("plain", c.text, "text", mark);
        if (!t) return t.error();
        alternatives.push_back(std::move(*t));
    }
    if (!c.html.empty()) {
        auto h = text_entity("html", c.html, "html", mark);
        if (!h) return h.error();
        alternatives.push_back(std::move(*h));
    }
    if (alternatives.empty()) return bad("content", "neither text nor html");
    std::vector<Entity> inline_parts, attached;
    for (size_t i = 0; i < c.attachments.size(); ++i) {
        auto a = attachment_entity(c.attachments[i], "attachments[" + std::to_string(i) + "]");
        if (!a) return a.error();
        (c.attachments[i].content_id.empty() || c.html.empty() ? attached : inline_parts).push_back(std::move(*a));
    }
    Entity body = alternatives.size() == 1 ? std::move(alternatives[0]) : multipart("alternative", boundary(1), std::move(alternatives));
    if (!inline_parts.empty()) {
        inline_parts.insert(inline_parts.begin(), std::move(body));
        body = multipart("related", boundary(2), std::move(inline_parts));
    }
    if (!attached.empty()) {
        attached.insert(attached.begin(), std::move(body));
        body = multipart("mixed", boundary(3), std::move(attached));
    }
    return body;
}

}  // namespace

std::string encode_header_text(std::string_view text) {
    if (printable_ascii(text)) return std::string(text);
    std::string out;
    size_t i = 0;
    while (i < text.size()) {
        size_t end = std::min(text.size(), i + kWordBytes);
        // Whole characters only: back off the continuation bytes of one cut.
        while (end < text.size() && end > i + 1 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
        if (!out.empty()) out += "\r\n ";
        out += "=?UTF-8?B?";
        base64::encode(text.substr(i, end - i), out);
        out += "?=";
        i = end;
    }
    return out;
}

Result<std::string> compose(const Composition& c, uint64_t boundary_seed) {
    std::string out;
    auto from = mailbox(c.from, "from");
    if (!from) return from.error();
    out += "From: " + *from + "\r\n";
    if (c.to.empty()) return bad("to", "at least one address");
    struct Field {
        const char* name;
        const std::vector<NamedAddress>* list;
        const char* key;
    };
    for (const Field& field : {Field{"To", &c.to, "to"}, Field{"Cc", &c.cc, "cc"}, Field{"Reply-To", &c.reply_to, "reply_to"}}) {
        if (field.list->empty()) continue;
        auto f = address_field(field.name, *field.list, field.key);
        if (!f) return f.error();
        out += *f;
    }
    if (has_line_break(c.subject) || !utf8::valid(c.subject)) return bad("subject", "a line break or invalid UTF-8");
    out += "Subject: " + encode_header_text(c.subject) + "\r\n";
    auto extra = extra_headers(c);
    if (!extra) return extra.error();
    out += *extra;
    auto body = body_entity(c, "=_rp", boundary_seed);
    if (!body) return body.error();
    out += "MIME-Version: 1.0\r\n" + body->headers + "\r\n" + body->body;
    return out;
}

}  // namespace ringpost::mail
