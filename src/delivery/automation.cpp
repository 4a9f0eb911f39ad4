// Automation (see automation.hpp).
#include "delivery/automation.hpp"

#include <cmath>

namespace ringpost::delivery {

Automation::Automation() : rules_(std::make_shared<const std::vector<Rule>>()) {}

Result<Automation> Automation::compile(const std::vector<AutomationRuleSpec>& specs) {
    auto rules = std::make_shared<std::vector<Rule>>();
    for (const auto& spec : specs) {
        const std::string& where = spec.pattern.where;
        if (spec.name.empty()) return make_error(where + ": expected a name");
        if (spec.action != AutomationAction::kFail && spec.duration.count() <= 0)
            return make_error(where + ".duration: expected how long the " +
                              std::string(automation_action_name(spec.action)) + " lasts, e.g. \"30m\"");
        if (spec.action == AutomationAction::kThrottle) {
            if (spec.factor != 0 && !(spec.factor > 0 && spec.factor < 1))
                return make_error(where + ".factor: expected a number between 0 and 1");
            if (spec.rate.unlimited())
                return make_error(where + ".rate: expected the rate for a site without one, e.g. \"60/min\"");
        }
        auto pattern = ReplyPattern::compile(spec.pattern);
        if (!pattern) return pattern.error();
        rules->push_back(Rule{spec, std::move(pattern).value()});
    }
    Automation a;
    a.rules_ = std::move(rules);
    return a;
}

const AutomationRuleSpec* Automation::match(const BounceReply& reply) const {
    if (rules_->empty() || reply.code < 400 || reply.code > 599) return nullptr;
    const std::string text = ReplyPattern::matched_text(reply);
    for (const Rule& r : *rules_)
        if (r.pattern.matches(reply, text)) return &r.spec;
    return nullptr;
}

bool Automation::empty() const { return rules_->empty(); }
size_t Automation::size() const { return rules_->size(); }

Rate throttled_rate(const Rate& current, const AutomationRuleSpec& rule) {
    if (current.unlimited() || rule.factor == 0) return rule.rate;
    const auto count = static_cast<uint64_t>(std::floor(static_cast<double>(current.count) * rule.factor));
    return Rate{count == 0 ? 1 : count, current.period};
}

std::string_view automation_action_name(AutomationAction a) {
    switch (a) {
        case AutomationAction::kSuspend: return "suspend";
        case AutomationAction::kThrottle: return "throttle";
        case AutomationAction::kFail: return "fail";
    }
    return "?";
}

}  // namespace ringpost::delivery
