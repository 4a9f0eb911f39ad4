// Bounce classes (bounce_class.hpp) and the classifier (bounce_classifier.hpp):
// the names, the RFC 3463 fallback, splitting a stored reply, rule matching
// and precedence, compile errors. The default rules file itself is tested
// where it is parsed (tests/unit/config/bounce_rules_test.cpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "delivery/bounce_classifier.hpp"
#include "delivery/client_reply.hpp"
#include "delivery/smtp_client.hpp"

namespace ringpost::delivery {
namespace {

using BC = BounceClass;

BounceRuleSpec bounce_rule(BounceClass klass, uint16_t code, std::string enhanced, std::string text,
                           std::string example = {}) {
    BounceRuleSpec r;
    r.klass = klass;
    r.pattern.code = code;
    r.pattern.enhanced = std::move(enhanced);
    r.pattern.text = std::move(text);
    r.pattern.example = std::move(example);
    r.pattern.where = "rules.toml: rule[1]";
    return r;
}

BounceClassifier compiled(const std::vector<BounceRuleSpec>& rules) {
    auto c = BounceClassifier::compile(rules);
    EXPECT_TRUE(c.ok()) << c.error().message;
    return c.ok() ? std::move(c).value() : BounceClassifier();
}

std::string compile_error(const std::vector<BounceRuleSpec>& rules) {
    auto c = BounceClassifier::compile(rules);
    return c.ok() ? "(compiled)" : c.error().message;
}

TEST(BounceClassNames, RoundTripAndList) {
    for (size_t i = 0; i < kBounceClassCount; ++i) {
        const auto c = static_cast<BounceClass>(i);
        EXPECT_EQ(parse_bounce_class(bounce_class_name(c)), c) << i;
    }
    EXPECT_EQ(bounce_class_name(BC::kInvalidRecipient), "invalid-recipient");
    EXPECT_EQ(bounce_class_name(BC::kOther), "other");
    EXPECT_EQ(parse_bounce_class("Mailbox-Full"), std::nullopt);   // exact, lower case
    EXPECT_EQ(parse_bounce_class("full"), std::nullopt);
    EXPECT_EQ(bounce_class_list().substr(0, 31), "invalid-recipient, bad-domain, ");
    EXPECT_TRUE(bounce_class_list().ends_with(", expired, other"));
}

TEST(BounceClassOfStatus, FollowsRfc3463SubjectAndDetail) {
    const std::vector<std::pair<const char*, BounceClass>> cases = {
        {"5.1.1", BC::kInvalidRecipient}, {"4.1.1", BC::kInvalidRecipient}, {"5.1.3", BC::kInvalidRecipient},
        {"5.1.2", BC::kBadDomain},        {"5.1.10", BC::kBadDomain},       {"5.1.6", BC::kInactiveMailbox},
        {"5.1.8", BC::kPolicy},           {"5.2.1", BC::kInactiveMailbox},  {"4.2.2", BC::kMailboxFull},
        {"5.2.2", BC::kMailboxFull},      {"4.3.1", BC::kMailboxFull},      {"5.2.3", BC::kMessageTooLarge},
        {"5.3.4", BC::kMessageTooLarge},  {"4.4.7", BC::kExpired},          {"4.4.1", BC::kRouting},
        {"5.4.6", BC::kRouting},          {"4.4.2", BC::kRouting},          {"4.5.3", BC::kRateLimited},
        {"5.5.1", BC::kProtocol},         {"4.5.0", BC::kProtocol},         {"5.6.3", BC::kContentRejected},
        {"5.7.1", BC::kPolicy},           {"5.7.26", BC::kPolicy},          {"4.7.4", BC::kSecurity},
        {"4.7.5", BC::kSecurity},         {"5.7.10", BC::kSecurity},        {"5.7.8", BC::kSecurity},
        {"5.7.13", BC::kInactiveMailbox}, {"4.7.28", BC::kRateLimited},     {"5.0.0", BC::kOther},
        {"4.0.0", BC::kOther},            {"5.3.0", BC::kOther},            {"2.0.0", BC::kOther},
        {"", BC::kOther},                 {"5.1", BC::kOther},              {"x.1.1", BC::kOther},
        {"5.1.1.1", BC::kOther},          {"6.1.1", BC::kOther},
    };
    for (const auto& [status, klass] : cases) EXPECT_EQ(class_of_status(status), klass) << status;
}

TEST(SplitBounceReply, ServerReplyLocalReasonAndTlsNote) {
    BounceReply r = split_bounce_reply("550 5.1.1 <bob@example.org>: no such user");
    EXPECT_EQ(r.code, 550);
    EXPECT_EQ(r.enhanced, "5.1.1");
    EXPECT_EQ(r.text, "<bob@example.org>: no such user");

    r = split_bounce_reply("4.4.1 connect to mx.example.net[192.0.2.25]:25: Connection refused");
    EXPECT_EQ(r.code, 0);   // decided here
    EXPECT_EQ(r.enhanced, "4.4.1");
    EXPECT_EQ(r.text, "connect to mx.example.net[192.0.2.25]:25: Connection refused");

    // Our TLS note is not the server's text.
    r = split_bounce_reply("452 4.2.2 mailbox full [tls=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verified=no]");
    EXPECT_EQ(r.code, 452);
    EXPECT_EQ(r.text, "mailbox full");

    r = split_bounce_reply("554 delivery error: dd This user doesn't have an account");
    EXPECT_EQ(r.code, 554);
    EXPECT_EQ(r.enhanced, "");
    EXPECT_EQ(r.text, "delivery error: dd This user doesn't have an account");

    r = split_bounce_reply("421");
    EXPECT_EQ(r.code, 421);
    EXPECT_EQ(r.text, "");

    r = split_bounce_reply("removed by the postmaster");
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.enhanced, "");
    EXPECT_EQ(r.text, "removed by the postmaster");
    EXPECT_EQ(split_bounce_reply("").code, 0);
}

TEST(BounceClassifier, WithoutRulesTheEnhancedCodeDecides) {
    const BounceClassifier c;
    EXPECT_EQ(c.rule_count(), 0u);
    EXPECT_EQ(c.classify("550 5.1.1 no such user"), BC::kInvalidRecipient);
    EXPECT_EQ(c.classify("452 4.2.2 mailbox full"), BC::kMailboxFull);
    // Without an enhanced code (the engine stores x.0.0 then): other.
    EXPECT_EQ(c.classify("550 5.0.0 no such user"), BC::kOther);
    EXPECT_EQ(c.classify("550 no such user"), BC::kOther);
}

TEST(BounceClassifier, EachPartOfARuleMustMatch) {
    const BounceClassifier c = compiled({bounce_rule(BC::kRateLimited, 421, "4.7", "too many")});
    EXPECT_EQ(c.classify("421 4.7.0 Too MANY connections"), BC::kRateLimited);   // case-insensitive
    EXPECT_EQ(c.classify("451 4.7.0 too many connections"), BC::kPolicy);         // code differs: x.7.0
    EXPECT_EQ(c.classify("421 4.4.0 too many connections"), BC::kRouting);        // enhanced differs
    EXPECT_EQ(c.classify("421 4.7.0 go away"), BC::kPolicy);                      // text differs
}

TEST(BounceClassifier, EnhancedPatternsMatchWholeComponents) {
    const BounceClassifier c = compiled({bounce_rule(BC::kGreylisted, 0, "5.1.1", ""),
                                         bounce_rule(BC::kRateLimited, 0, "x.7.28", ""),
                                         bounce_rule(BC::kContentRejected, 0, "4.7", "")});
    EXPECT_EQ(c.classify("550 5.1.1 x"), BC::kGreylisted);
    EXPECT_EQ(c.classify("550 5.1.10 x"), BC::kBadDomain);   // not 5.1.1: the fallback
    EXPECT_EQ(c.classify("550 5.7.28 x"), BC::kRateLimited);
    EXPECT_EQ(c.classify("421 4.7.28 x"), BC::kRateLimited);
    EXPECT_EQ(c.classify("451 4.7.1 x"), BC::kContentRejected);
    EXPECT_EQ(c.classify("451 4.1.7 x"), BC::kPolicy);   // 4.1.7 is not under 4.7
    EXPECT_EQ(c.classify("451 x"), BC::kOther);          // no enhanced code: no pattern matches
}

TEST(BounceClassifier, FirstMatchingRuleWinsThenTheFallback) {
    // As the config layer orders them: the user's rules, then the defaults.
    const BounceClassifier c = compiled({bounce_rule(BC::kInactiveMailbox, 550, "", "no such user"),
                                         bounce_rule(BC::kInvalidRecipient, 0, "", "no such user|unknown"),
                                         bounce_rule(BC::kPolicy, 0, "", "unknown")});
    EXPECT_EQ(c.rule_count(), 3u);
    EXPECT_EQ(c.classify("550 5.1.1 no such user"), BC::kInactiveMailbox);
    EXPECT_EQ(c.classify("551 5.1.1 no such user"), BC::kInvalidRecipient);
    EXPECT_EQ(c.classify("550 5.7.1 unknown"), BC::kInvalidRecipient);
    EXPECT_EQ(c.classify("552 5.2.2 quota"), BC::kMailboxFull);   // no rule: the enhanced code
    EXPECT_EQ(c.classify("554 transaction failed"), BC::kOther);  // nothing says anything
}

TEST(BounceClassifier, OurOwnExpiryIsExpiredWhateverTheLastError) {
    const BounceClassifier c = compiled({bounce_rule(BC::kMailboxFull, 0, "", "mailbox full")});
    EXPECT_EQ(c.classify("4.4.7 delivery time expired; last error: 452 4.2.2 mailbox full"), BC::kExpired);
    // A server's own x.4.7 goes through the rules like any reply.
    EXPECT_EQ(c.classify("451 4.4.7 mailbox full, expired in our queue"), BC::kMailboxFull);
    EXPECT_EQ(c.classify("451 4.4.7 expired in our queue"), BC::kExpired);
}

TEST(BounceClassifier, LocalReasonsAreClassifiedLikeReplies) {
    const BounceClassifier c = compiled({bounce_rule(BC::kRouting, 0, "", "connection refused")});
    EXPECT_EQ(c.classify("4.4.1 connect to mx.example.net[192.0.2.25]:25: Connection refused"), BC::kRouting);
    EXPECT_EQ(c.classify("4.7.4 TLS is required (policy encrypt) but mx.example.net did not offer STARTTLS"),
              BC::kSecurity);
    EXPECT_EQ(c.classify("5.1.2 no such domain: example.invalid"), BC::kBadDomain);
}

TEST(BounceClassifier, MultiLineRepliesAreOneText) {
    // As the SMTP client stores them: the lines' texts joined by blanks.
    ServerReply reply;
    reply.code = 550;
    reply.enhanced = "5.7.1";
    reply.lines = {"Message rejected.", "Your IP is on our block list,", "see https://example.net/bl"};
    const BounceClassifier c =
        compiled({bounce_rule(BC::kPolicy, 550, "", "rejected\\. your ip is on our block list")});
    EXPECT_EQ(c.classify(reply.to_string()), BC::kPolicy);

    Diagnostic d{Outcome::kFailed, 550, "5.7.1", "Message rejected. Your IP is on our block list,"};
    EXPECT_EQ(c.classify(d.to_string()), BC::kPolicy);
}

TEST(BounceClassifier, TextIsAPosixExtendedRegularExpression) {
    const BounceClassifier c = compiled({bounce_rule(BC::kRateLimited, 0, "", "\\bTSS?0[0-9]\\b"),
                                         bounce_rule(BC::kContentRejected, 0, "", "too\\s+many|(black|block) ?list"),
                                         bounce_rule(BC::kGreylisted, 0, "", "^grey.{0,3}$")});
    EXPECT_EQ(c.classify("421 4.7.0 [TSS04] deferred"), BC::kRateLimited);
    EXPECT_EQ(c.classify("421 4.7.0 XTSS04 deferred"), BC::kPolicy);   // no word boundary: x.7.0
    EXPECT_EQ(c.classify("421 4.3.0 Too \t MANY"), BC::kContentRejected);
    EXPECT_EQ(c.classify("554 5.0.0 on our BLOCKLIST"), BC::kContentRejected);
    EXPECT_EQ(c.classify("451 4.3.0 Grey..."), BC::kGreylisted);        // anchors: the whole text
    EXPECT_EQ(c.classify("451 4.3.0 Grey listed"), BC::kOther);
}

TEST(BounceClassifier, OnlyTheStartOfALongTextIsSearched) {
    const BounceClassifier c = compiled({bounce_rule(BC::kPolicy, 0, "", "needle"),
                                         bounce_rule(BC::kContentRejected, 0, "", "a{1,3}c")});
    const std::string hay(ReplyPattern::kMaxMatchedText - 6, 'x');
    EXPECT_EQ(c.classify("550 5.0.0 " + hay + "needle"), BC::kPolicy);
    EXPECT_EQ(c.classify("550 5.0.0 " + hay + "x needle"), BC::kOther);
    // A hostile server's huge reply is searched no further.
    const std::string huge(512 * 1024, 'a');
    EXPECT_EQ(c.classify("550 5.0.0 " + huge + "c"), BC::kOther);
    EXPECT_EQ(c.classify("550 5.0.0 aaac"), BC::kContentRejected);
}

TEST(BounceClassifier, CompileErrorsNameTheRuleAndItsPart) {
    EXPECT_TRUE(compile_error({bounce_rule(BC::kPolicy, 0, "", "(unclosed")})
                    .starts_with("rules.toml: rule[1].text: bad regular expression \"(unclosed\": "))
        << compile_error({bounce_rule(BC::kPolicy, 0, "", "(unclosed")});
    EXPECT_EQ(compile_error({bounce_rule(BC::kPolicy, 0, "5.1.1.1", "")}),
              "rules.toml: rule[1].enhanced: expected an enhanced status code such as \"5.1.1\", \"4.7\" or "
              "\"x.7.28\", got \"5.1.1.1\"");
    for (const char* bad : {"5.", ".1", "5..1", "5.a", "5.1234"})
        EXPECT_NE(compile_error({bounce_rule(BC::kPolicy, 0, bad, "")}), "(compiled)") << bad;
    EXPECT_EQ(compile_error({bounce_rule(BC::kPolicy, 0, "", "")}),
              "rules.toml: rule[1]: give at least one of code, enhanced and text");
    EXPECT_EQ(compile_error({bounce_rule(BC::kPolicy, 250, "", "")}),
              "rules.toml: rule[1].code: expected a reply code from 400 to 599, got 250");
    EXPECT_EQ(compile_error({bounce_rule(BC::kPolicy, 0, "", "blocked", "550 5.7.1 refused")}),
              "rules.toml: rule[1].example: the rule does not match its own example \"550 5.7.1 refused\"");
    EXPECT_EQ(compile_error({bounce_rule(BC::kPolicy, 550, "5.7", "blocked", "550 5.7.1 Blocked here")}),
              "(compiled)");
}

}  // namespace
}  // namespace ringpost::delivery
