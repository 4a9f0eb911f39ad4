// Reading shaping automation rules files (see automation_rules.hpp).
#include "config/automation_rules.hpp"

#include "config/rules_file.hpp"
#include "util/duration.hpp"

namespace ringpost::config {
namespace {

constexpr std::string_view kAutomationRuleKeys[] = {"name",     "action", "duration", "factor", "rate",
                                          "code",     "enhanced", "text",   "example"};

delivery::AutomationAction read_action(const Reader& r, const toml::node& v, const std::string& key) {
    const std::string a = r.one_of(v, key, {"suspend", "throttle", "fail"});
    if (a == "suspend") return delivery::AutomationAction::kSuspend;
    if (a == "throttle") return delivery::AutomationAction::kThrottle;
    return delivery::AutomationAction::kFail;
}

double read_factor(const Reader& r, const toml::node& v, const std::string& key) {
    const auto f = v.value<double>();
    if (!f || !(*f > 0 && *f < 1)) r.fail(key, "expected a number between 0 and 1, e.g. 0.5");
    return *f;
}

delivery::AutomationRuleSpec read_automation_rule(const Reader& r, const toml::table& table, const std::string& key) {
    delivery::AutomationRuleSpec spec;
    for (auto&& [k, v] : table) {
        const std::string field(k.str());
        const std::string field_key = key + "." + field;
        if (field == "name") {
            spec.name = r.string(v, field_key);
        } else if (field == "action") {
            spec.action = read_action(r, v, field_key);
        } else if (field == "duration") {
            spec.duration = std::chrono::seconds(r.duration(v, field_key, false));
        } else if (field == "factor") {
            spec.factor = read_factor(r, v, field_key);
        } else if (field == "rate") {
            const std::string text = r.string(v, field_key);
            auto rate = delivery::parse_rate(text);
            if (!rate || rate->unlimited()) r.fail(field_key, "expected a rate like \"60/min\", got " + quote(text));
            spec.rate = *rate;
        } else if (!read_pattern_field(r, field, v, field_key, spec.pattern)) {
            r.unknown(key + ".", field, {std::begin(kAutomationRuleKeys), std::end(kAutomationRuleKeys)});
        }
    }
    if (!table.contains("action")) r.fail(key, "expected an action (suspend, throttle, fail)");
    return spec;
}

}  // namespace

std::vector<delivery::AutomationRuleSpec> parse_automation_rules(std::string_view text, const std::string& name) {
    return parse_rules<delivery::AutomationRuleSpec>(text, name, read_automation_rule, &delivery::Automation::compile);
}

std::vector<delivery::AutomationRuleSpec> load_automation_rules(const std::string& path) {
    return parse_automation_rules(read_rules_file(path), path);
}

const std::vector<delivery::AutomationRuleSpec>& default_automation_rules() {
    static const std::vector<delivery::AutomationRuleSpec> rules =
        parse_automation_rules(default_automation_rules_toml(), "built-in shaping-automation.toml");
    return rules;
}

delivery::Automation automation(const Config& config) {
    std::vector<delivery::AutomationRuleSpec> all = config.shaping.automation_specs;
    if (config.shaping.builtin_automation) {
        const auto& defaults = default_automation_rules();
        all.insert(all.end(), defaults.begin(), defaults.end());
    }
    auto compiled = delivery::Automation::compile(all);
    if (!compiled) throw ConfigError(compiled.error().message);
    return std::move(compiled).value();
}

}  // namespace ringpost::config
