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
// kMaxMatchedText bytes of a text are searched, so that a hostile server's
// 500 KB reply costs no more than a long real one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/bounce_class.hpp"
#include "util/result.hpp"

namespace ringpost::delivery {

// One rule as a rules file gives it. At least one of code, enhanced, text.
struct BounceRuleSpec {
    BounceClass klass = BounceClass::kOther;
    uint16_t code = 0;       // the reply code (400-599); 0 = any
    std::string enhanced;    // "5.1.1", "4.7", "x.7.28"; "" = any
    std::string text;        // regular expression; "" = any
    std::string example;     // a reply the rule must match (checked by compile); "" = none
    std::string where;       // names the rule in errors: "rules.toml: rule[3]"

    bool operator==(const BounceRuleSpec&) const = default;
};

// What a delivery failure says: code 0 when no server replied (decided here).
struct BounceReply {
    uint16_t code = 0;
    std::string_view enhanced;   // "5.1.1"; empty if none
    std::string_view text;
};

// A reply as the queue stores it (Diagnostic::to_string(), the recipient's
// last_reply): "550 5.1.1 text", "4.4.2 text" (local), either followed by
// a " [tls=...]" note, which is left out. Views into `reply`.
BounceReply split_bounce_reply(std::string_view reply);

class BounceClassifier {
public:
    static constexpr size_t kMaxMatchedText = 2048;

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
