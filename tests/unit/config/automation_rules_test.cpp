// Shaping automation rules files (config/automation_rules.hpp): the
// built-in file is data/shaping-automation.toml, each of its rules is
// reached by its own example through the whole list, the format and its
// errors, and shaping.automation / builtin_automation.
#include "config/automation_rules.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/toml_reader.hpp"
#include "temp_dir.hpp"

using namespace ringpost;
using namespace ringpost::config;
using testing::HasSubstr;

namespace {

std::string automation_error(const std::string& text) {
    try {
        parse_automation_rules(text, "a.toml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(parsed)";
}

}  // namespace

TEST(AutomationRules, TheBuiltInRulesAreTheDataFile) {
    EXPECT_EQ(default_automation_rules_toml(), read_text_file(RINGPOST_SOURCE_ROOT "/data/shaping-automation.toml"));
}

TEST(AutomationRules, EachBuiltInRuleIsReachedByItsExample) {
    const auto& rules = default_automation_rules();
    ASSERT_GE(rules.size(), 6u);
    auto all = delivery::Automation::compile(rules);
    ASSERT_TRUE(all.ok());
    for (const auto& rule : rules) {
        ASSERT_FALSE(rule.pattern.example.empty()) << rule.name << ": the built-in rules document themselves";
        const auto* matched = all->match(delivery::split_bounce_reply(rule.pattern.example));
        ASSERT_NE(matched, nullptr) << rule.name;
        EXPECT_EQ(matched->name, rule.name) << "an earlier rule hides " << rule.name;
    }
}

TEST(AutomationRules, FileFormat) {
    const auto rules = parse_automation_rules(R"(
[[rule]]
name = "slow"
code = 421
text = 'slow down'
action = "throttle"
factor = 0.25
rate = "30/min"
duration = "10m"

[[rule]]
name = "gone"
enhanced = "x.7.9"
action = "fail"
)", "a.toml");
    ASSERT_EQ(rules.size(), 2u);
    EXPECT_EQ(rules[0].name, "slow");
    EXPECT_EQ(rules[0].action, delivery::AutomationAction::kThrottle);
    EXPECT_EQ(rules[0].factor, 0.25);
    EXPECT_EQ(rules[0].rate, (delivery::Rate{30, std::chrono::minutes(1)}));
    EXPECT_EQ(rules[0].duration, std::chrono::minutes(10));
    EXPECT_EQ(rules[0].pattern.where, "a.toml: rule[1]");
    EXPECT_EQ(rules[1].action, delivery::AutomationAction::kFail);
    EXPECT_EQ(delivery::throttled_rate(delivery::Rate{100, std::chrono::minutes(1)}, rules[0]),
              (delivery::Rate{25, std::chrono::minutes(1)}));
    EXPECT_EQ(delivery::throttled_rate(delivery::Rate{}, rules[0]), (delivery::Rate{30, std::chrono::minutes(1)}))
        << "a site without a rate gets the rule's";
    EXPECT_EQ(delivery::throttled_rate(delivery::Rate{2, std::chrono::minutes(1)}, rules[0]),
              (delivery::Rate{1, std::chrono::minutes(1)}))
        << "never below one per period";
}

TEST(AutomationRules, ErrorsNameTheRuleAndThePart) {
    EXPECT_THAT(automation_error("[[rule]]\nname = \"x\"\ncode = 421\n"), HasSubstr("a.toml: rule[1]: expected an action"));
    EXPECT_THAT(automation_error("[[rule]]\nname = \"x\"\ncode = 421\naction = \"suspend\"\n"),
                HasSubstr("rule[1].duration: expected how long the suspend lasts"));
    EXPECT_THAT(automation_error("[[rule]]\nname = \"x\"\ncode = 421\naction = \"throttle\"\nduration = \"1m\"\n"),
                HasSubstr("rule[1].rate: expected the rate for a site without one"));
    EXPECT_THAT(automation_error("[[rule]]\nname = \"x\"\ncode = 421\naction = \"throttle\"\nfactor = 1.5\n"),
                HasSubstr("rule[1].factor: expected a number between 0 and 1"));
    EXPECT_THAT(automation_error("[[rule]]\naction = \"fail\"\ncode = 421\n"), HasSubstr("rule[1]: expected a name"));
    EXPECT_THAT(automation_error("[[rule]]\nname = \"x\"\naction = \"fail\"\n"),
                HasSubstr("give at least one of code, enhanced and text"));
    EXPECT_THAT(automation_error("[[rule]]\nname = \"x\"\naction = \"fail\"\ncode = 421\nsuspend = true\n"),
                HasSubstr("rule[1].suspend: unknown key"));
    EXPECT_THAT(automation_error("[rule]\nname = \"x\"\n"), HasSubstr("expected [[rule]] tables"));
}

TEST(AutomationRules, TheUsersFileComesFirstAndTheBuiltInOnesCanBeTurnedOff) {
    test::TempDir dir;
    const std::string path = dir.write("mine.toml", "[[rule]]\nname = \"mine\"\nenhanced = \"4.7.28\"\n"
                                                    "action = \"suspend\"\nduration = \"5s\"\n");
    Config c = parse_config("[shaping]\nautomation = \"" + path + "\"\n", "ringpost.toml");
    const auto a = automation(c);
    EXPECT_EQ(a.size(), 1 + default_automation_rules().size());
    EXPECT_EQ(a.match(delivery::split_bounce_reply("421 4.7.28 unusual rate"))->name, "mine");
    c.shaping.builtin_automation = false;
    EXPECT_EQ(automation(c).size(), 1u);
    EXPECT_THAT(
        [&] {
            try {
                parse_config("[shaping]\nautomation = \"" + dir.file("missing.toml") + "\"\n", "ringpost.toml");
            } catch (const ConfigError& e) {
                return std::string(e.what());
            }
            return std::string("(parsed)");
        }(),
        HasSubstr("ringpost.toml: shaping.automation: "));
}
