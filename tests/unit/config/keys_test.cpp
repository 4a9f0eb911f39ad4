// The key table: every key documented and readable, the defaults file
// parsing back to the defaults, and every key reading what it writes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "config/config.hpp"
#include "config/keys.hpp"
#include "every_key.hpp"

namespace ringpost::config {
namespace {

using ::testing::HasSubstr;

// A file giving only `key` the value it has in `c`.
std::string one_key_file(const Key& key, const Config& c) {
    const size_t dot = key.name.rfind('.');
    if (key.is_table) return "[" + key.name + "]\n" + key.write(c);
    if (dot == std::string::npos) return key.name + " = " + key.write(c) + "\n";
    return "[" + key.name.substr(0, dot) + "]\n" + key.name.substr(dot + 1) + " = " + key.write(c) + "\n";
}

TEST(ConfigKeys, EveryKeyHasOneLineOfHelp) {
    std::set<std::string> names;
    for (const Key& key : keys()) {
        EXPECT_FALSE(key.help.empty()) << key.name;
        EXPECT_EQ(key.help.find('\n'), std::string::npos) << key.name;
        EXPECT_TRUE(names.insert(key.name).second) << "twice: " << key.name;
        if (!key.alias_of.empty()) {
            EXPECT_NE(find_key(key.alias_of), nullptr) << key.name;
        }
    }
    EXPECT_GT(names.size(), 60u);
}

TEST(ConfigKeys, DefaultsFileParsesBackToTheDefaults) {
    const std::string text = defaults_toml();
    Config parsed = parse_config(text, "defaults.toml");
    Config defaults = default_config();
    parsed.source = defaults.source;
    EXPECT_TRUE(parsed == defaults) << text;
    // Key by key, so that a difference names the key.
    for (const Key& key : keys()) EXPECT_EQ(key.write(parsed), key.write(defaults)) << key.name;
}

TEST(ConfigKeys, DefaultsFileDocumentsEveryKey) {
    const std::string text = defaults_toml();
    for (const Key& key : keys()) {
        if (!key.alias_of.empty()) {
            EXPECT_THAT(text, ::testing::Not(HasSubstr(key.help)));
            continue;
        }
        EXPECT_THAT(text, HasSubstr("# " + key.help + "\n")) << key.name;
    }
    EXPECT_THAT(text, HasSubstr("\n[smtp]\n"));
    EXPECT_THAT(text, HasSubstr("\nmax_recipients = 1000\n"));
    EXPECT_THAT(text, HasSubstr("\ncommand_timeout = \"5m\"\n"));
    EXPECT_THAT(text, HasSubstr("\nerror_delay = \"1s\"\n"));
    EXPECT_THAT(text, HasSubstr("\nmin_free_space = \"256M\"\n"));
    EXPECT_THAT(text, HasSubstr("\n[delivery.tls.domains]\n"));
    // Machine-dependent defaults: how they are computed, the key commented out.
    EXPECT_THAT(text, HasSubstr("# Default: a quarter of physical memory"));
    EXPECT_THAT(text, HasSubstr("\n# hostname = \"" + default_config().hostname + "\"\n"));
}

TEST(ConfigKeys, TheEveryKeyFileSetsEveryKey) {
    const Config c = parse_config(test::kEveryKey, "every.toml");
    const Config defaults = default_config();
    for (const Key& key : keys()) EXPECT_NE(key.write(c), key.write(defaults)) << key.name;
}

TEST(ConfigKeys, EveryKeyReadsWhatItWrites) {
    const Config c = parse_config(test::kEveryKey, "every.toml");
    for (const Key& key : keys()) {
        if (!key.alias_of.empty()) continue;
        const std::string file = one_key_file(key, c);
        Config back;
        try {
            back = parse_config(file, "one.toml");
        } catch (const ConfigError& e) {
            // Keys that need another: tls.cert and tls.key only go
            // together; a dkim.users domain must have keys; egress pools
            // name sources, and the other egress keys name pools; a
            // proxy_protocol listener needs proxy_networks (top-level, so first);
            // inbound.dkim off needs DMARC off too.
            if (key.name.ends_with(".proxy_protocol")) {
                back = parse_config(one_key_file(*find_key("proxy_networks"), c) + file, "one.toml");
                EXPECT_EQ(key.write(back), key.write(c)) << file;
                continue;
            }
            std::string partner = key.name == "tls.cert" ? "key = \"k\"\n" : "cert = \"c\"\n";
            if (key.name == "dkim.users") partner = "[dkim.domains]\n\"example.org\" = [\"s\"]\n";
            if (key.name == "inbound.dkim") partner = "dmarc = \"off\"\n";
            if (key.name.starts_with("egress.")) {
                partner = one_key_file(*find_key("egress.sources"), c);
                if (key.name != "egress.pools") partner += one_key_file(*find_key("egress.pools"), c);
            }
            back = parse_config(file + partner, "one.toml");
        }
        EXPECT_EQ(key.write(back), key.write(c)) << file;
    }
}

TEST(ConfigKeys, OldNameAndNewNameAreOneSetting) {
    EXPECT_EQ(parse_config("[smtp]\nmax_bad_commands = 7\n", "t.toml").smtp.hard_error_limit, 7u);
    try {
        parse_config("[smtp]\nmax_bad_commands = 7\nhard_error_limit = 8\n", "t.toml");
        FAIL() << "both names accepted";
    } catch (const ConfigError& e) {
        // TOML tables come in name order: the second name is the one at fault.
        EXPECT_STREQ(e.what(), "t.toml: smtp.max_bad_commands: hard_error_limit and max_bad_commands are one setting; give one");
    }
}

TEST(ConfigKeys, SuggestionsComeFromTheTable) {
    EXPECT_THAT(names_under(""), ::testing::Contains("smtp"));
    EXPECT_THAT(names_under("delivery."), ::testing::ElementsAreArray(
        {"dns_servers", "remote_port", "retry_schedule", "max_queue_lifetime", "max_connections_per_destination",
         "max_connections_per_host", "max_messages_per_connection", "connect_timeout", "idle_timeout",
         "delay_warning", "max_hops", "bounce_rules", "routes", "tls"}));
    EXPECT_THAT(names_under("smtp."), ::testing::Not(::testing::Contains("max_bad_commands")));
    try {
        parse_config("[delivery.tls]\ndefualt = \"may\"\n", "t.toml");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_STREQ(e.what(), "t.toml: delivery.tls.defualt: unknown key (did you mean \"default\"?)");
    }
}

TEST(ConfigKeys, TomlValues) {
    EXPECT_EQ(toml_duration(0), "0s");
    EXPECT_EQ(toml_duration(5 * 86400), "5d");
    EXPECT_EQ(toml_duration(5400), "1h30m");
    EXPECT_EQ(toml_duration(90061), "1d1h1m1s");
    EXPECT_EQ(toml_string("a\"b\\c\nd"), "\"a\\\"b\\\\c\\u000ad\"");
}

// Every key the README's TOML examples show (`key = ...` or `# key = ...`
// under `[table]` or `# [table]`) is in the table, so the documentation
// cannot name a key that does not exist.
TEST(ConfigKeys, ReadmeKeysAreInTheTable) {
    std::ifstream in(RINGPOST_SOURCE_ROOT "/README.md");
    ASSERT_TRUE(in) << "README.md not found";
    const std::regex table_line(R"(^#?\s*\[([a-z0-9_.]+)\].*)");
    const std::regex key_line(R"(^#?\s*([a-z0-9_]+)\s*=.*)");
    std::string line, table;
    bool in_toml = false;
    size_t seen = 0;
    while (std::getline(in, line)) {
        if (line.starts_with("```")) {
            in_toml = line == "```toml";
            table.clear();
            continue;
        }
        std::smatch m;
        if (!in_toml) continue;
        if (std::regex_match(line, m, table_line)) {
            table = m[1];
            // [shaping.sites.google]: one entry of the table key shaping.sites.
            const size_t dot = table.rfind('.');
            const Key* parent = dot == std::string::npos ? nullptr : find_key(table.substr(0, dot));
            if (parent && parent->is_table) table = parent->name;
            EXPECT_TRUE(find_key(table) || !names_under(table + ".").empty()) << line;
        } else if (std::regex_match(line, m, key_line)) {
            const Key* owner = table.empty() ? nullptr : find_key(table);
            if (owner && owner->is_table) continue;   // an entry of a table key
            const std::string name = table.empty() ? std::string(m[1]) : table + "." + std::string(m[1]);
            EXPECT_NE(find_key(name), nullptr) << "README documents an unknown key: " << name;
            ++seen;
        }
    }
    EXPECT_GT(seen, 60u);
}

}  // namespace
}  // namespace ringpost::config
