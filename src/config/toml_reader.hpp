// The typed readers behind the configuration keys (keys.cpp): each takes a
// TOML node and the dotted key it was found at, and either returns the
// value or throws ConfigError "FILE: KEY: what was expected, got WHAT".
// Internal to src/config.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "config/config.hpp"

namespace ringpost::config {

// The whole file; ConfigError "PATH: cannot read: why".
std::string read_text_file(const std::string& path);
// TOML text as a table; ConfigError "PATH:LINE:COLUMN: what" for a syntax error.
toml::table parse_toml(std::string_view text, const std::string& path);

// `s` in double quotes, with '"', '\\' and control bytes escaped, for messages.
std::string quote(std::string_view s);
// A host or domain name: letters, digits, '-', '.', U-labels; no empty labels.
bool valid_domain_chars(std::string_view s);
size_t edit_distance(std::string_view a, std::string_view b);

class Reader {
public:
    explicit Reader(std::string file) : file_(std::move(file)) {}

    [[noreturn]] void fail(const std::string& key, const std::string& what) const;
    // "unknown key", with the first of `known` within two edits suggested.
    [[noreturn]] void unknown(const std::string& prefix, std::string_view key,
                              const std::vector<std::string_view>& known) const;

    const toml::table& table(const toml::node& node, const std::string& key) const;
    uint64_t integer(const toml::node& node, const std::string& key, uint64_t min, uint64_t max) const;
    // A size in bytes where 0 turns the limit off and anything else must reach `min`.
    uint64_t zero_or_at_least(const toml::node& node, const std::string& key, uint64_t min) const;
    bool boolean(const toml::node& node, const std::string& key) const;
    std::string string(const toml::node& node, const std::string& key) const;
    // A string that must be one of `allowed`.
    std::string one_of(const toml::node& node, const std::string& key,
                       const std::vector<std::string_view>& allowed) const;
    // Lists accept a single string too: `listen = "0.0.0.0:25"` is obvious enough.
    std::vector<std::string> strings(const toml::node& node, const std::string& key) const;
    std::vector<ListenAddress> listen_list(const toml::node& node, const std::string& key) const;
    // A short delay in milliseconds, up to max_ms; zero allowed. Integers
    // and floats are seconds (1, 0.25), strings "250ms" or a duration ("1s").
    uint32_t milliseconds(const toml::node& node, const std::string& key, uint32_t max_ms) const;
    // Integers are seconds; strings take s/m/h/d suffixes ("5m", "1h30m").
    uint32_t duration(const toml::node& node, const std::string& key, bool allow_zero) const;
    // Bytes: an integer, or a string like "256M", "1GiB".
    uint64_t byte_size(const toml::node& node, const std::string& key) const;

private:
    std::string file_;
};

}  // namespace ringpost::config
