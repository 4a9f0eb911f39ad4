// BounceClassifier (see bounce_classifier.hpp).
#include "delivery/bounce_classifier.hpp"


namespace ringpost::delivery {
namespace {

struct CompiledRule {
    BounceClass klass;
    ReplyPattern pattern;
};

}  // namespace

struct BounceClassifier::Rules {
    std::vector<CompiledRule> list;
};

BounceClassifier::BounceClassifier() : rules_(std::make_shared<const Rules>()) {}

Result<BounceClassifier> BounceClassifier::compile(const std::vector<BounceRuleSpec>& specs) {
    auto rules = std::make_shared<Rules>();
    for (const BounceRuleSpec& spec : specs) {
        auto pattern = ReplyPattern::compile(spec.pattern);
        if (!pattern) return pattern.error();
        rules->list.push_back(CompiledRule{spec.klass, std::move(pattern).value()});
    }
    BounceClassifier classifier;
    classifier.rules_ = std::move(rules);
    return classifier;
}

BounceClass BounceClassifier::classify(const BounceReply& reply) const {
    const BounceClass by_status = class_of_status(reply.enhanced);
    // Our own queue lifetime ran out: whatever the last error was.
    if (reply.code == 0 && by_status == BounceClass::kExpired) return BounceClass::kExpired;
    if (rules_->list.empty()) return by_status;
    const std::string text = ReplyPattern::matched_text(reply);
    for (const CompiledRule& rule : rules_->list) {
        if (rule.pattern.matches(reply, text)) return rule.klass;
    }
    return by_status;
}

size_t BounceClassifier::rule_count() const { return rules_->list.size(); }

}  // namespace ringpost::delivery
