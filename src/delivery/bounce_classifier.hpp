// The bounce classifier: which BounceClass (bounce_class.hpp) a failed or
// deferred delivery belongs to, from the reply code, the RFC 3463 enhanced
// status code and rules on the reply text. In order:
//   1. a delivery that outlived its queue lifetime here is "expired";
//   2. the rules, in order, the first that matches wins (the user's rules
//      come first, then ringpost's defaults, data/bounce-rules.toml; the
//      config layer reads both files and hands them over as one list);
//   3. the class the enhanced status code alone implies (class_of_status);
//   4. "other".
// A rule matches when each of its given parts matches: the reply code
// exactly, the enhanced code by leading components ("5.7" matches 5.7.1,
// "x" matches any component), and a case-insensitive POSIX extended
// regular expression (text_pattern.hpp) found anywhere in the reply text
// (multi-line replies are one line of text here, lines joined by blanks).
//
// Rules are compiled once (startup, `check-config`). Classification runs
// for deferrals and failures only, on the delivery thread: about 10 µs for
// a reply no built-in rule matches (bench/bench_bounce.cpp). Only the first
// ReplyPattern::kMaxMatchedText bytes of a text are searched, so that a hostile server's
// 500 KB reply costs no more than a long real one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/bounce_class.hpp"
#include "delivery/reply_pattern.hpp"
#include "util/result.hpp"

namespace ringpost::delivery {

// One rule as a rules file gives it: a class, and the replies it takes
// (at least one of code, enhanced, text).
struct BounceRuleSpec {
    BounceClass klass = BounceClass::kOther;
    ReplyPatternSpec pattern;

    bool operator==(const BounceRuleSpec&) const = default;
};

class BounceClassifier {
public:
    // No rules: steps 1, 3 and 4 only.
    BounceClassifier();
    // The rules in order. Errors name the rule (spec.where) and its part:
    // "rules.toml: rule[3].text: bad regular expression \"(\": ...".
    static Result<BounceClassifier> compile(const std::vector<BounceRuleSpec>& rules);

    BounceClass classify(const BounceReply& reply) const;
    // A stored reply (split_bounce_reply).
    BounceClass classify(std::string_view reply) const { return classify(split_bounce_reply(reply)); }

    size_t rule_count() const;

private:
    struct Rules;   // compiled; shared, so that copies are cheap
    std::shared_ptr<const Rules> rules_;
};

}  // namespace ringpost::delivery
