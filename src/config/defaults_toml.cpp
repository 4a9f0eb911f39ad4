// defaults_toml(): the key table printed as a TOML file, each key's help
// as a comment above `key = default`. A default computed from the machine
// or from another key (hostname, max_inflight_bytes, admin_socket) is
// printed commented out, with how it is computed: the file then still
// follows the machine it is used on, and still parses back to the defaults.
#include "config/config.hpp"
#include "config/keys.hpp"

namespace ringpost::config {
namespace {

constexpr const char* kHeader =
    "# ringpost configuration: every key at its built-in default\n"
    "# (`ringpost check-config --defaults`). Every key is optional; unknown keys\n"
    "# are errors. Durations take s/m/h/d (\"90s\", \"1h30m\"), sizes K/M/G.\n\n";

std::string section_of(const Key& key) {
    if (key.is_table) return key.name;
    const size_t dot = key.name.rfind('.');
    return dot == std::string::npos ? "" : key.name.substr(0, dot);
}

std::string leaf_of(const std::string& name) { return name.substr(name.rfind('.') + 1); }

}  // namespace

std::string defaults_toml() {
    const Config defaults = default_config();
    std::string out = kHeader;
    std::string section;
    for (const Key& key : keys()) {
        if (!key.alias_of.empty()) continue;
        const std::string wanted = section_of(key);
        if (key.is_table) {
            out += "\n# " + key.help + "\n[" + key.name + "]\n" + key.write(defaults);
            section = wanted;
            continue;
        }
        if (wanted != section) {
            out += "\n[" + wanted + "]\n";
            section = wanted;
        }
        out += "# " + key.help + "\n";
        if (!key.computed.empty()) {
            out += "# Default: " + key.computed + "; here:\n# ";
        }
        out += leaf_of(key.name) + " = " + key.write(defaults) + "\n";
    }
    return out;
}

}  // namespace ringpost::config
