// The one table of configuration keys. Each entry names a key ("smtp.
// max_recipients"), says in one line what it is for, reads it from the TOML
// file into its Config field (type, range and message in one place) and
// writes that field back as TOML. The defaults themselves stay in Config's
// initializers and default_config(). parse_config() walks the file with
// this table, defaults_toml() prints it; a new key is one entry here plus
// its field in config.hpp.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/toml_reader.hpp"

namespace ringpost::config {

struct Key {
    Key(std::string key_name, std::string key_help) : name(std::move(key_name)), help(std::move(key_help)) {}

    std::string name;       // dotted, as in messages: "smtp.max_recipients"
    std::string help;       // one line, printed above the key by defaults_toml()
    // Non-empty when the default is computed (from the machine or from
    // another key): how. defaults_toml() then prints the key commented out,
    // so that the file still follows the machine and the other key.
    std::string computed;
    // An old name: read into the same field as the key it names, suggested
    // and printed never; giving both is an error.
    std::string alias_of;
    bool is_table = false;  // a [name] table of "domain" = value entries
    // Reads `node`, found at `key`, into the config; throws ConfigError.
    std::function<void(const Reader&, const toml::node& node, const std::string& key, Config&)> read;
    // The field in `config` as TOML: the value after "key = ", or for a
    // table its entry lines.
    std::function<std::string(const Config& config)> write;
};

// Every key, in the order of the file: top-level keys, then each table's.
const std::vector<Key>& keys();
// The key with this dotted name, or nullptr.
const Key* find_key(std::string_view name);
// The names one level below `prefix` ("" or "delivery."): keys and tables,
// in table order, aliases left out. For "did you mean".
std::vector<std::string_view> names_under(std::string_view prefix);

// TOML text for values, as defaults_toml() writes them.
std::string toml_string(std::string_view s);
std::string toml_duration(uint32_t seconds);   // "5m", "1h30m", "0s"

}  // namespace ringpost::config
