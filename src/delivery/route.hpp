// Static routes ([delivery.routes]): a domain's mail goes to a fixed next
// hop instead of its MX hosts, like Postfix's transport_maps entry
// "smtp:[host]:port". The next hop is "host", "host:port", "[ip]" or
// "[ip]:port"; a host name is resolved to addresses (A/AAAA), not MX.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace ringpost::delivery {

struct Route {
    std::string host;    // host name or IP address (without brackets)
    uint16_t port = 0;   // 0 = the configured remote_port
    friend bool operator==(const Route&, const Route&) = default;
};

// Errors name what is wrong: "bad port \"x\" in \"host:x\"".
Result<Route> parse_route(std::string_view text);

}  // namespace ringpost::delivery
