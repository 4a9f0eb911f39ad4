// Webhook URLs (url.hpp).
#include "events/url.hpp"

namespace ringpost::events {
namespace {

bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

}  // namespace

Result<Url> parse_url(std::string_view text) {
    Url url;
    std::string_view rest;
    if (text.starts_with("http://")) {
        rest = text.substr(7);
    } else if (text.starts_with("https://")) {
        url.https = true;
        url.port = 443;
        rest = text.substr(8);
    } else {
        return make_error("expected a URL starting with http:// or https://");
    }
    if (rest.find('#') != std::string_view::npos || has_line_break(rest) || rest.find(' ') != std::string_view::npos)
        return make_error("a URL without spaces, line breaks or a #fragment");
    const size_t slash = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, slash);
    // A query without a path gets the path "/". (Appended, not inserted in
    // front: g++ 12 -O3 warns about string::insert, its bug 105651.)
    url.target = "/";
    if (slash != std::string_view::npos) {
        if (rest[slash] == '/') url.target.clear();
        url.target.append(rest.substr(slash));
    }
    if (authority.find('@') != std::string_view::npos) return make_error("a URL without user information");
    std::string_view port;
    if (authority.starts_with("[")) {
        const size_t close = authority.find(']');
        if (close == std::string_view::npos) return make_error("unclosed [ in the URL's host");
        url.host = std::string(authority.substr(1, close - 1));
        authority.remove_prefix(close + 1);
        if (!authority.empty() && authority.front() != ':') return make_error("junk after the URL's [host]");
        if (!authority.empty()) port = authority.substr(1);
    } else {
        const size_t colon = authority.find(':');
        url.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    }
    if (url.host.empty()) return make_error("a URL with a host");
    if (!port.empty()) {
        unsigned n = 0;
        for (char c : port) {
            if (c < '0' || c > '9' || n > 65535) return make_error("a URL port of 1 to 65535");
            n = n * 10 + static_cast<unsigned>(c - '0');
        }
        if (n == 0 || n > 65535) return make_error("a URL port of 1 to 65535");
        url.port = static_cast<uint16_t>(n);
    }
    return url;
}

}  // namespace ringpost::events
