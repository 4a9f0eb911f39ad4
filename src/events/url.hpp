// Webhook URLs: http://host[:port][/path] and https://... (no user
// information, no fragment), as the configuration checks them and the HTTP
// client uses them. No dependencies, so the configuration (and its fuzz
// target) links this alone.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace ringpost::events {

struct Url {
    bool https = false;
    std::string host;     // a name, or an IP literal (IPv6 without brackets)
    uint16_t port = 80;
    std::string target;   // "/path?query"; "/" when absent
};

// Errors say what is expected ("expected a URL starting with http:// or https://").
Result<Url> parse_url(std::string_view url);

}  // namespace ringpost::events
