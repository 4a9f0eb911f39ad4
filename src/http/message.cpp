// Requests and responses (message.hpp): methods, case-insensitive header
// lookup, target decoding, and the JSON error body every refusal uses.
#include "http/message.hpp"

#include <array>
#include <cstdio>

#include "util/ascii.hpp"
#include "util/utf8.hpp"

namespace ringpost::http {
namespace {

constexpr std::array<std::string_view, 9> kMethodNames = {"GET",   "HEAD",    "POST",    "PUT",  "DELETE",
                                                          "PATCH", "OPTIONS", "CONNECT", "TRACE"};

using util::iequals;

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

Method method_from(std::string_view text) {
    for (size_t i = 0; i < kMethodNames.size(); ++i)
        if (kMethodNames[i] == text) return static_cast<Method>(i);
    return Method::kUnknown;
}

std::string_view method_name(Method m) {
    const auto i = static_cast<size_t>(m);
    return i < kMethodNames.size() ? kMethodNames[i] : "?";
}

void Headers::set(std::string_view name, std::string value) {
    std::erase_if(fields_, [name](const auto& f) { return iequals(f.first, name); });
    fields_.emplace_back(std::string(name), std::move(value));
}

const std::string* Headers::find(std::string_view name) const {
    for (const auto& f : fields_)
        if (iequals(f.first, name)) return &f.second;
    return nullptr;
}

const std::string* Request::param(std::string_view name) const {
    for (const auto& p : query)
        if (p.first == name) return &p.second;
    return nullptr;
}

std::vector<std::string> Request::params(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& p : query)
        if (p.first == name) out.push_back(p.second);
    return out;
}

Response Response::json(int status, std::string body) {
    Response r;
    r.status = status;
    r.headers.add("Content-Type", "application/json");
    r.body = std::move(body);
    if (r.body.empty() || r.body.back() != '\n') r.body += '\n';
    return r;
}

Response Response::error(int status, std::string_view message) {
    return json(status, "{\"error\": " + json_string(message) + "}");
}

bool percent_decode(std::string_view in, bool plus_is_space, std::string& out) {
    out.clear();
    out.reserve(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '+' && plus_is_space) {
            c = ' ';
        } else if (c == '%') {
            const int hi = i + 2 < in.size() ? hex_value(in[i + 1]) : -1;
            const int lo = hi >= 0 ? hex_value(in[i + 2]) : -1;
            if (lo < 0) return false;
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0') return false;
        out += c;
    }
    return true;
}

bool parse_target(std::string_view target, std::string& path, QueryParams& query) {
    // Absolute form (RFC 9112 3.2.2): a server must accept it; the
    // authority says nothing this server needs.
    for (std::string_view scheme : {"http://", "https://"}) {
        if (target.size() >= scheme.size() && iequals(target.substr(0, scheme.size()), scheme)) {
            target.remove_prefix(scheme.size());
            const size_t slash = target.find_first_of("/?");
            target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
            if (target.front() == '?') return false;
        }
    }
    if (target.empty() || target.front() != '/') return false;
    const size_t q = target.find('?');
    if (!percent_decode(target.substr(0, q), false, path)) return false;
    query.clear();
    if (q == std::string_view::npos) return true;
    std::string_view rest = target.substr(q + 1);
    if (const size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
    while (!rest.empty()) {
        const size_t amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
        if (pair.empty()) continue;
        const size_t eq = pair.find('=');
        std::string name, value;
        if (!percent_decode(pair.substr(0, eq), true, name)) return false;
        if (eq != std::string_view::npos && !percent_decode(pair.substr(eq + 1), true, value)) return false;
        query.emplace_back(std::move(name), std::move(value));
    }
    return true;
}

std::string json_string(std::string_view s) {
    const std::string text = utf8::sanitize(s);
    std::string out = "\"";
    for (const unsigned char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

}  // namespace ringpost::http
