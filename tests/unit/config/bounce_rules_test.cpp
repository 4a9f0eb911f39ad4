// Bounce classification rules files (config/bounce_rules.hpp): the built-in
// defaults (each rule reached by its own example, real replies from large
// providers), the file format and its errors, and delivery.bounce_rules:
// the user's rules come before the defaults, and a bad file stops loading.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/bounce_rules.hpp"
#include "config/engine_config.hpp"
#include "config/toml_reader.hpp"
#include "temp_dir.hpp"

namespace ringpost::config {
namespace {

using delivery::BounceClass;
using ::testing::HasSubstr;

std::string rules_error(const std::string& text) {
    try {
        parse_bounce_rules(text, "r.toml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(parsed)";
}

std::string class_of(const delivery::BounceClassifier& c, std::string_view reply) {
    return std::string(delivery::bounce_class_name(c.classify(reply)));
}

TEST(DefaultBounceRules, AreTheRepositorysDataFile) {
    EXPECT_EQ(default_bounce_rules_toml(), read_text_file(RINGPOST_SOURCE_ROOT "/data/bounce-rules.toml"));
}

// Each rule's example must reach that rule's class through the whole list:
// a rule shadowed by an earlier one fails here.
TEST(DefaultBounceRules, EachRuleClassifiesItsOwnExample) {
    const auto& rules = default_bounce_rules();
    ASSERT_GE(rules.size(), 15u);
    const auto classifier = bounce_classifier(default_config());
    EXPECT_EQ(classifier->rule_count(), rules.size());
    for (const auto& rule : rules) {
        EXPECT_FALSE(rule.pattern.example.empty()) << rule.pattern.where << ": the built-in rules document themselves";
        EXPECT_EQ(classifier->classify(rule.pattern.example), rule.klass) << rule.pattern.where << ": " << rule.pattern.example;
    }
}

TEST(DefaultBounceRules, ClassifyRealReplies) {
    const auto c = bounce_classifier(default_config());
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"550 5.1.1 The email account that you tried to reach does not exist.", "invalid-recipient"},
        {"550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown in virtual mailbox table",
         "invalid-recipient"},
        {"550 Requested action not taken: no such user here", "invalid-recipient"},
        {"550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
         "invalid-recipient"},
        {"554 5.4.14 Hop count exceeded - possible mail loop", "routing"},
        {"452 4.2.2 The email account that you tried to reach is over quota.", "mailbox-full"},
        {"552 5.2.2 Mailbox full", "mailbox-full"},
        {"552 5.3.4 Message size exceeds fixed maximum message size", "message-too-large"},
        {"550 5.2.1 The email account that you tried to reach is disabled.", "inactive-mailbox"},
        {"421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred", "rate-limited"},
        {"421 4.7.28 Gmail has detected an unusual rate of unsolicited mail", "rate-limited"},
        {"450 4.7.1 Client host rejected: too many connections", "rate-limited"},
        {"451 4.7.1 Greylisting in action, please come back later", "greylisted"},
        {"550 5.7.1 Service unavailable, Client host [192.0.2.1] blocked using Spamhaus", "policy"},
        {"550 5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy",
         "policy"},
        {"554 5.7.1 <bob@example.org>: Relay access denied", "policy"},
        {"550 5.7.350 Remote server returned message detected as spam", "content-rejected"},
        {"554 5.7.1 Message rejected because it contains a virus", "content-rejected"},
        {"530 5.7.0 Must issue a STARTTLS command first", "security"},
        {"4.7.4 TLS is required (policy encrypt) but mx.example.net did not offer STARTTLS", "security"},
        {"4.4.1 connect to mx.example.net[192.0.2.25]:25: Connection refused", "routing"},
        {"5.1.2 no such domain: example.invalid", "bad-domain"},
        {"500 5.5.1 Command unrecognized", "protocol"},
        {"4.4.7 delivery time expired; last error: 452 4.2.2 mailbox full", "expired"},
        {"554 5.0.0 Transaction failed", "other"},
        {"451 Temporary local problem - please try later", "other"},
    };
    for (const auto& [reply, klass] : cases) EXPECT_EQ(class_of(*c, reply), klass) << reply;
}

TEST(BounceRulesFile, ReadsEveryField) {
    const auto rules = parse_bounce_rules(R"(
[[rule]]
class = "rate-limited"
code = 421
enhanced = "4.7"
text = 'too\s+many'
example = "421 4.7.0 Too  many"

[[rule]]
class = "policy"
text = "blocked"
)", "r.toml");
    ASSERT_EQ(rules.size(), 2u);
    EXPECT_EQ(rules[0].klass, BounceClass::kRateLimited);
    EXPECT_EQ(rules[0].pattern.code, 421);
    EXPECT_EQ(rules[0].pattern.enhanced, "4.7");
    EXPECT_EQ(rules[0].pattern.text, "too\\s+many");
    EXPECT_EQ(rules[0].pattern.example, "421 4.7.0 Too  many");
    EXPECT_EQ(rules[0].pattern.where, "r.toml: rule[1]");
    EXPECT_EQ(rules[1].klass, BounceClass::kPolicy);
    EXPECT_EQ(rules[1].pattern.code, 0);
    EXPECT_EQ(rules[1].pattern.where, "r.toml: rule[2]");
    EXPECT_TRUE(parse_bounce_rules("# no rules\n", "r.toml").empty());
}

TEST(BounceRulesFile, ErrorsNameTheFileAndTheRule) {
    EXPECT_EQ(rules_error("[[rule]]\nclass = \"full\"\ntext = \"x\"\n"),
              "r.toml: rule[1].class: expected one of invalid-recipient, bad-domain, inactive-mailbox, "
              "mailbox-full, message-too-large, policy, content-rejected, greylisted, rate-limited, security, "
              "routing, protocol, expired, other, got \"full\"");
    EXPECT_EQ(rules_error("[[rule]]\ntext = \"x\"\n"), "r.toml: rule[1]: expected a class");
    EXPECT_EQ(rules_error("[[rule]]\nclass = \"policy\"\ntext = \"x\"\n[[rule]]\nclass = \"policy\"\ntxt = \"x\"\n"),
              "r.toml: rule[2].txt: unknown key (did you mean \"text\"?)");
    EXPECT_EQ(rules_error("[[rule]]\nclass = \"policy\"\ncode = 250\n"),
              "r.toml: rule[1].code: expected an integer from 400 to 599, got 250");
    EXPECT_EQ(rules_error("[[rule]]\nclass = \"policy\"\ncode = \"421\"\n"),
              "r.toml: rule[1].code: expected an integer from 400 to 599, got \"421\"");
    EXPECT_THAT(rules_error("[[rule]]\nclass = \"policy\"\ntext = \"(open\"\n"),
                HasSubstr("r.toml: rule[1].text: bad regular expression \"(open\": "));
    EXPECT_EQ(rules_error("[[rule]]\nclass = \"policy\"\n"),
              "r.toml: rule[1]: give at least one of code, enhanced and text");
    EXPECT_EQ(rules_error("[[rule]]\nclass = \"policy\"\ntext = \"blocked\"\nexample = \"550 5.7.1 no\"\n"),
              "r.toml: rule[1].example: the rule does not match its own example \"550 5.7.1 no\"");
    EXPECT_EQ(rules_error("[[rules]]\nclass = \"policy\"\n"), "r.toml: rules: unknown key (did you mean \"rule\"?)");
    EXPECT_EQ(rules_error("rule = 1\n"), "r.toml: rule: expected [[rule]] tables");
    EXPECT_EQ(rules_error("rule = [1]\n"), "r.toml: rule[1]: expected a table, got 1");
    EXPECT_THAT(rules_error("[[rule]\n"), HasSubstr("r.toml:1:"));
}

class BounceRulesKey : public ::testing::Test {
protected:
    Config load_with_rules(const std::string& rules) {
        const std::string path = dir.write("rules.toml", rules);
        return parse_config("[delivery]\nbounce_rules = \"" + path + "\"\n", "ringpost.toml");
    }
    std::string load_error(const std::string& rules) {
        try {
            load_with_rules(rules);
        } catch (const ConfigError& e) {
            return e.what();
        }
        return "(loaded)";
    }
    test::TempDir dir;
};

TEST_F(BounceRulesKey, UserRulesComeBeforeTheDefaults) {
    const Config c = load_with_rules("[[rule]]\nclass = \"policy\"\ntext = 'no such user'\n");
    EXPECT_EQ(c.delivery.bounce_rules, dir.file("rules.toml"));
    ASSERT_EQ(c.delivery.bounce_rule_specs.size(), 1u);
    const auto classifier = bounce_classifier(c);
    EXPECT_EQ(classifier->rule_count(), 1 + default_bounce_rules().size());
    EXPECT_EQ(class_of(*classifier, "550 5.1.1 no such user"), "policy");
    // The defaults still apply to the rest, and the engine gets the same.
    EXPECT_EQ(class_of(*classifier, "552 5.2.2 mailbox full"), "mailbox-full");
    EXPECT_EQ(class_of(*engine_config(c).bounce_classifier, "550 5.1.1 no such user"), "policy");
    EXPECT_EQ(class_of(*engine_config(default_config()).bounce_classifier, "550 5.1.1 no such user"),
              "invalid-recipient");
}

TEST_F(BounceRulesKey, ABadFileFailsTheConfiguration) {
    EXPECT_THAT(load_error("[[rule]]\nclass = \"policy\"\ntext = \"[oops\"\n"),
                HasSubstr("ringpost.toml: delivery.bounce_rules: " + dir.file("rules.toml") +
                          ": rule[1].text: bad regular expression \"[oops\""));
    EXPECT_THAT(load_error("[[rule]]\nclass = \"polcy\"\ntext = \"x\"\n"),
                HasSubstr(dir.file("rules.toml") + ": rule[1].class: expected one of "));
}

TEST_F(BounceRulesKey, AMissingFileFailsTheConfiguration) {
    try {
        parse_config("[delivery]\nbounce_rules = \"" + dir.file("missing.toml") + "\"\n", "ringpost.toml");
        FAIL() << "loaded";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()), "ringpost.toml: delivery.bounce_rules: " + dir.file("missing.toml") +
                                             ": cannot read: No such file or directory");
    }
}

TEST_F(BounceRulesKey, OnlyARegularFileOfReasonableSize) {
    const auto error_of = [](const std::string& path) {
        try {
            load_bounce_rules(path);
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("(loaded)");
    };
    EXPECT_EQ(error_of("/dev/zero"), "/dev/zero: not a regular file");
    EXPECT_EQ(error_of(dir.path()), dir.path() + ": not a regular file");
    EXPECT_EQ(error_of(dir.write("big.toml", std::string(2 << 20, '#'))),
              dir.file("big.toml") + ": larger than 1048576 bytes");
}

TEST_F(BounceRulesKey, EmptyMeansTheDefaultsOnly) {
    const Config c = parse_config("[delivery]\nbounce_rules = \"\"\n", "ringpost.toml");
    EXPECT_TRUE(c.delivery.bounce_rule_specs.empty());
    EXPECT_EQ(bounce_classifier(c)->rule_count(), default_bounce_rules().size());
}

}  // namespace
}  // namespace ringpost::config
