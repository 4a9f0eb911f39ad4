// Reading bounce classification rules files (see bounce_rules.hpp).
#include "config/bounce_rules.hpp"

#include <cstdint>
#include <filesystem>

#include "config/toml_reader.hpp"

namespace ringpost::config {
namespace {

constexpr std::string_view kRuleKeys[] = {"class", "code", "enhanced", "text", "example"};

// Far beyond any real rules file; a path to /dev/zero must not hang check-config.
constexpr std::uintmax_t kMaxRulesFileSize = 1 << 20;

delivery::BounceRuleSpec read_rule(const Reader& r, const toml::table& table, const std::string& key) {
    delivery::BounceRuleSpec spec;
    for (auto&& [k, v] : table) {
        const std::string field(k.str());
        const std::string field_key = key + "." + field;
        if (field == "class") {
            const std::string name = r.string(v, field_key);
            auto klass = delivery::parse_bounce_class(name);
            if (!klass) r.fail(field_key, "expected one of " + delivery::bounce_class_list() + ", got " + quote(name));
            spec.klass = *klass;
        } else if (field == "code") {
            spec.code = static_cast<uint16_t>(r.integer(v, field_key, 400, 599));
        } else if (field == "enhanced") {
            spec.enhanced = r.string(v, field_key);
        } else if (field == "text") {
            spec.text = r.string(v, field_key);
        } else if (field == "example") {
            spec.example = r.string(v, field_key);
        } else {
            r.unknown(key + ".", field, {std::begin(kRuleKeys), std::end(kRuleKeys)});
        }
    }
    if (!table.contains("class")) r.fail(key, "expected a class");
    return spec;
}

}  // namespace

std::vector<delivery::BounceRuleSpec> parse_bounce_rules(std::string_view text, const std::string& name) {
    const toml::table root = parse_toml(text, name);
    const Reader r(name);
    for (auto&& [k, v] : root) {
        if (k.str() != "rule") r.unknown("", k.str(), {"rule"});
    }
    std::vector<delivery::BounceRuleSpec> specs;
    if (const toml::node* rules = root.get("rule")) {
        const toml::array* list = rules->as_array();
        if (!list) r.fail("rule", "expected [[rule]] tables");
        for (size_t i = 0; i < list->size(); ++i) {
            const std::string key = "rule[" + std::to_string(i + 1) + "]";
            specs.push_back(read_rule(r, r.table(*list->get(i), key), key));
            // Reader's messages are "FILE: KEY: ..."; the classifier's start with `where`.
            specs.back().where = name + ": " + key;
        }
    }
    // Regular expressions, enhanced code patterns and examples: now.
    if (auto compiled = delivery::BounceClassifier::compile(specs); !compiled) throw ConfigError(compiled.error().message);
    return specs;
}

std::vector<delivery::BounceRuleSpec> load_bounce_rules(const std::string& path) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!ec && std::filesystem::exists(status)) {
        if (!std::filesystem::is_regular_file(status)) throw ConfigError(path + ": not a regular file");
        if (std::filesystem::file_size(path, ec) > kMaxRulesFileSize)
            throw ConfigError(path + ": larger than " + std::to_string(kMaxRulesFileSize) + " bytes");
    }
    return parse_bounce_rules(read_text_file(path), path);
}

const std::vector<delivery::BounceRuleSpec>& default_bounce_rules() {
    static const std::vector<delivery::BounceRuleSpec> rules =
        parse_bounce_rules(default_bounce_rules_toml(), "built-in bounce-rules.toml");
    return rules;
}

std::shared_ptr<const delivery::BounceClassifier> bounce_classifier(const Config& config) {
    std::vector<delivery::BounceRuleSpec> all = config.delivery.bounce_rule_specs;
    const auto& defaults = default_bounce_rules();
    all.insert(all.end(), defaults.begin(), defaults.end());
    auto compiled = delivery::BounceClassifier::compile(all);
    if (!compiled) throw ConfigError(compiled.error().message);
    return std::make_shared<const delivery::BounceClassifier>(std::move(compiled).value());
}

}  // namespace ringpost::config
