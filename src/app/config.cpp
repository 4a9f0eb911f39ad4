// Built-in defaults, the default file lookup, duration parsing and the
// check-config summary. The TOML reader itself lives in config_toml.cpp.
#include <unistd.h>

#include <climits>
#include <filesystem>

#include "app/config.hpp"

namespace ringpost::app {

Config default_config() {
    Config c;
    char name[HOST_NAME_MAX + 1] = {};
    if (gethostname(name, sizeof name - 1) == 0 && name[0] != '\0') c.hostname = name;
    else c.hostname = "localhost";
    c.smtp.listen.push_back(parse_listen("127.0.0.1:2525"));
    c.relay.local_domains = {"localhost"};
    c.relay.relay_networks = {parse_network("127.0.0.0/8"), parse_network("::1/128")};
    c.admin_socket = c.data_dir + "/admin.sock";
    c.source = "built-in defaults";
    return c;
}

Config load_config_or_default(const std::string& path_or_empty) {
    if (!path_or_empty.empty()) return load_config(path_or_empty);
    std::error_code ec;
    if (std::filesystem::exists("ringpost.toml", ec)) return load_config("ringpost.toml");
    return default_config();
}

namespace {
std::string joined(const std::vector<std::string>& items) {
    std::string s;
    for (const auto& i : items) s += (s.empty() ? "" : " ") + i;
    return s;
}
}  // namespace

std::string describe_config(const Config& c) {
    std::vector<std::string> listen, nets;
    for (const auto& l : c.smtp.listen) listen.push_back(l.text);
    for (const auto& n : c.relay.relay_networks) nets.push_back(n.text);
    std::string s;
    s += "hostname: " + c.hostname + "\n";
    s += "listen: " + joined(listen) + "\n";
    s += "data_dir: " + c.data_dir + "\n";
    s += "admin_socket: " + c.admin_socket + "\n";
    s += "local_domains: " + joined(c.relay.local_domains) + "\n";
    s += "relay_networks: " + (nets.empty() ? std::string("(none)") : joined(nets)) + "\n";
    return s;
}

bool parse_duration(std::string_view text, uint32_t& seconds) {
    if (text.empty()) return false;
    uint64_t total = 0;
    size_t i = 0;
    while (i < text.size()) {
        uint64_t n = 0;
        size_t start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            n = n * 10 + static_cast<uint64_t>(text[i] - '0');
            if (n > UINT32_MAX) return false;
            ++i;
        }
        if (i == start) return false;            // a unit without a number, or junk
        uint64_t unit = 1;
        if (i < text.size()) {
            switch (text[i]) {
                case 's': unit = 1; break;
                case 'm': unit = 60; break;
                case 'h': unit = 3600; break;
                case 'd': unit = 86400; break;
                default: return false;
            }
            ++i;
        } else if (start != 0) {
            return false;                         // "1h30": the trailing number needs a unit
        }
        total += n * unit;
        if (total > UINT32_MAX) return false;
    }
    seconds = static_cast<uint32_t>(total);
    return true;
}

}  // namespace ringpost::app
