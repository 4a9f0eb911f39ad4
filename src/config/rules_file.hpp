// The rules files of the configuration (bounce classification, shaping
// automation): TOML files of [[rule]] tables whose reply patterns share
// code/enhanced/text/example (delivery/reply_pattern.hpp). Reading them is
// the same for every kind: a regular file of at most 1 MiB, each [[rule]]
// named "FILE: rule[N]" in errors. Internal to src/config.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "config/toml_reader.hpp"
#include "delivery/reply_pattern.hpp"

namespace ringpost::config {

// The text of a rules file; throws ConfigError for a missing, special
// (a path to /dev/zero must not hang check-config) or oversized file.
std::string read_rules_file(const std::string& path);

// Calls read(reader, table, key) for each [[rule]] of `text` in order, key
// "rule[N]"; anything but [[rule]] at the top is an error.
void for_each_rule(std::string_view text, const std::string& name,
                   const std::function<void(const Reader&, const toml::table&, const std::string& key)>& read);

// Every [[rule]] of `text` read by read(reader, table, key), named
// "NAME: rule[N]" (spec.pattern.where), then compiled all together by
// compile(specs) -- regular expressions, patterns and examples are checked
// now -- whose error is thrown as a ConfigError.
template <class Spec, class Read, class Compile>
std::vector<Spec> parse_rules(std::string_view text, const std::string& name, Read read, Compile compile) {
    std::vector<Spec> specs;
    for_each_rule(text, name, [&](const Reader& r, const toml::table& table, const std::string& key) {
        specs.push_back(read(r, table, key));
        // Reader's messages are "FILE: KEY: ..."; the compiled rules' start with `where`.
        specs.back().pattern.where = name + ": " + key;
    });
    if (auto compiled = compile(specs); !compiled) throw ConfigError(compiled.error().message);
    return specs;
}

// Reads `field` of a rule into `spec` if it is one of the pattern's
// (code, enhanced, text, example); false for other fields.
bool read_pattern_field(const Reader& r, const std::string& field, const toml::node& value,
                        const std::string& field_key, delivery::ReplyPatternSpec& spec);

}  // namespace ringpost::config
