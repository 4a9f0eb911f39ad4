#include "delivery/route.hpp"

#include <charconv>

namespace ringpost::delivery {
namespace {

Result<uint16_t> parse_port(std::string_view port, std::string_view text) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
        return make_error("bad port \"" + std::string(port) + "\" in \"" + std::string(text) + "\"");
    return static_cast<uint16_t>(value);
}

bool valid_host(std::string_view host) {
    if (host.empty() || host.size() > 253) return false;
    for (char c : host) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                  c == '.' || c == ':' || c == '_';
        if (!ok) return false;
    }
    return true;
}

}  // namespace

Result<Route> parse_route(std::string_view text) {
    Route route;
    std::string_view rest;
    if (!text.empty() && text.front() == '[') {
        size_t close = text.find(']');
        if (close == std::string_view::npos) return make_error("missing ']' in \"" + std::string(text) + "\"");
        route.host = std::string(text.substr(1, close - 1));
        rest = text.substr(close + 1);
        if (!rest.empty() && rest.front() != ':')
            return make_error("unexpected \"" + std::string(rest) + "\" after ']' in \"" + std::string(text) + "\"");
    } else {
        size_t colon = text.find(':');
        // More than one colon without brackets: a bare IPv6 address, no port.
        if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos) {
            route.host = std::string(text);
        } else {
            route.host = std::string(text.substr(0, colon));
            if (colon != std::string_view::npos) rest = text.substr(colon);
        }
    }
    if (!valid_host(route.host)) return make_error("bad host in \"" + std::string(text) + "\"");
    if (!rest.empty()) {
        auto port = parse_port(rest.substr(1), text);
        if (!port) return port.error();
        route.port = port.value();
    }
    return route;
}

}  // namespace ringpost::delivery
