// Reading bounce classification rules files (see bounce_rules.hpp).
#include "config/bounce_rules.hpp"

#include "config/rules_file.hpp"

namespace ringpost::config {
namespace {

constexpr std::string_view kBounceRuleKeys[] = {"class", "code", "enhanced", "text", "example"};

delivery::BounceRuleSpec read_bounce_rule(const Reader& r, const toml::table& table, const std::string& key) {
    delivery::BounceRuleSpec spec;
    for (auto&& [k, v] : table) {
        const std::string field(k.str());
        const std::string field_key = key + "." + field;
        if (field == "class") {
            const std::string name = r.string(v, field_key);
            auto klass = delivery::parse_bounce_class(name);
            if (!klass) r.fail(field_key, "expected one of " + delivery::bounce_class_list() + ", got " + quote(name));
            spec.klass = *klass;
        } else if (!read_pattern_field(r, field, v, field_key, spec.pattern)) {
            r.unknown(key + ".", field, {std::begin(kBounceRuleKeys), std::end(kBounceRuleKeys)});
        }
    }
    if (!table.contains("class")) r.fail(key, "expected a class");
    return spec;
}

}  // namespace

std::vector<delivery::BounceRuleSpec> parse_bounce_rules(std::string_view text, const std::string& name) {
    return parse_rules<delivery::BounceRuleSpec>(text, name, read_bounce_rule, &delivery::BounceClassifier::compile);
}

std::vector<delivery::BounceRuleSpec> load_bounce_rules(const std::string& path) {
    return parse_bounce_rules(read_rules_file(path), path);
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
