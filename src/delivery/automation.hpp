// Shaping automation (issue 13; docs/BULK.md "Automation"): rules matched
// against what remote servers answer (reply_pattern.hpp: code, enhanced
// code, text) that act on the site the reply came from: suspend it for a
// while, slow its message rate down for a while, or fail the recipients
// the reply was about instead of retrying them. The rules come from the
// user's file, then ringpost's defaults (data/shaping-automation.toml);
// the first that matches acts. Every effect ends by itself. Pure: the
// engine applies the actions (engine_sites.cpp).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "delivery/rate.hpp"
#include "delivery/reply_pattern.hpp"
#include "util/result.hpp"

namespace ringpost::delivery {

enum class AutomationAction : uint8_t { kSuspend, kThrottle, kFail };

struct AutomationRuleSpec {
    std::string name;
    ReplyPatternSpec pattern;
    AutomationAction action = AutomationAction::kSuspend;
    std::chrono::seconds duration{0};   // suspend, throttle
    double factor = 0;                  // throttle: the site's rate times this (0 < factor < 1)
    Rate rate;                          // throttle: the rate of a site that has none

    bool operator==(const AutomationRuleSpec&) const = default;
};

class Automation {
public:
    Automation();
    // Errors name the rule (pattern.where) and its part.
    static Result<Automation> compile(const std::vector<AutomationRuleSpec>& specs);
    // The first rule matching a server's reply (code 400-599), or null.
    const AutomationRuleSpec* match(const BounceReply& reply) const;
    bool empty() const;
    size_t size() const;

private:
    struct Rule {
        AutomationRuleSpec spec;
        ReplyPattern pattern;
    };
    std::shared_ptr<const std::vector<Rule>> rules_;
};

// The message rate a throttle puts in force: `current` times the rule's
// factor (never below one message per period), or the rule's `rate` when
// the site has no rate or the rule no factor.
Rate throttled_rate(const Rate& current, const AutomationRuleSpec& rule);

std::string_view automation_action_name(AutomationAction a);   // "suspend", "throttle", "fail"

}  // namespace ringpost::delivery
