// BounceClassifier (see bounce_classifier.hpp).
#include "delivery/bounce_classifier.hpp"

#include <array>
#include <optional>

#include "delivery/dsn_text.hpp"
#include "delivery/text_pattern.hpp"
#include "delivery/tls_policy.hpp"

namespace ringpost::delivery {
namespace {

using dsn_text::is_blank;

// The first blank-separated word of `s`, taken off it.
std::string_view take_word(std::string_view& s) {
    size_t end = 0;
    while (end < s.size() && !is_blank(s[end])) ++end;
    std::string_view word = s.substr(0, end);
    s = dsn_text::trim_blanks(s.substr(end));
    return word;
}

bool is_reply_code(std::string_view word) {
    return word.size() == 3 && word[0] >= '2' && word[0] <= '5' && word[1] >= '0' && word[1] <= '9' &&
           word[2] >= '0' && word[2] <= '9';
}

// An enhanced code pattern: up to three components, each a number or any.
struct StatusPattern {
    static constexpr int kAny = -1;
    std::array<int, 3> parts{};
    size_t count = 0;   // 0 = matches everything

    // "5.1.1", "4.7", "x.7.28"; nullopt if malformed.
    static std::optional<StatusPattern> parse(std::string_view text) {
        StatusPattern p;
        for (size_t start = 0;;) {
            const size_t dot = text.find('.', start);
            const std::string_view part = text.substr(start, dot == text.npos ? text.npos : dot - start);
            if (p.count == p.parts.size()) return std::nullopt;
            if (part == "x" || part == "X") {
                p.parts[p.count++] = kAny;
            } else if (part.empty() || part.size() > 3 || part.find_first_not_of("0123456789") != part.npos) {
                return std::nullopt;
            } else {
                p.parts[p.count++] = std::stoi(std::string(part));
            }
            if (dot == text.npos) return p;
            start = dot + 1;
        }
    }

    bool matches(std::string_view enhanced) const {
        for (size_t i = 0; i < count; ++i) {
            const size_t dot = enhanced.find('.');
            const std::string_view part = enhanced.substr(0, dot);
            if (part.empty()) return false;
            if (parts[i] != kAny && part != std::to_string(parts[i])) return false;
            enhanced = dot == std::string_view::npos ? std::string_view() : enhanced.substr(dot + 1);
        }
        return true;
    }
};

struct CompiledRule {
    BounceClass klass;
    uint16_t code;
    StatusPattern enhanced;
    std::shared_ptr<const TextPattern> text;   // null: any text
};

// `text`: the reply's text, cut to kMaxMatchedText (once for all rules).
bool matches(const CompiledRule& rule, const BounceReply& reply, const std::string& text) {
    if (rule.code != 0 && rule.code != reply.code) return false;
    if (!rule.enhanced.matches(reply.enhanced)) return false;
    return !rule.text || rule.text->found_in(text);
}

std::string matched_text(const BounceReply& reply) {
    return std::string(reply.text.substr(0, BounceClassifier::kMaxMatchedText));
}

}  // namespace

struct BounceClassifier::Rules {
    std::vector<CompiledRule> list;
};

BounceReply split_bounce_reply(std::string_view reply) {
    BounceReply out;
    std::string_view rest = dsn_text::trim_blanks(strip_tls_note(dsn_text::trim_blanks(reply)));
    std::string_view peek = rest;
    if (std::string_view word = take_word(peek); is_reply_code(word)) {
        out.code = static_cast<uint16_t>((word[0] - '0') * 100 + (word[1] - '0') * 10 + (word[2] - '0'));
        rest = peek;
    }
    peek = rest;
    if (std::string_view word = take_word(peek); dsn_text::is_status_code(word)) {
        out.enhanced = word;
        rest = peek;
    }
    out.text = rest;
    return out;
}

BounceClassifier::BounceClassifier() : rules_(std::make_shared<const Rules>()) {}

namespace {

// One rule, checked: errors name spec.where and the part at fault.
Result<CompiledRule> compile_rule(const BounceRuleSpec& spec) {
    CompiledRule rule{spec.klass, spec.code, {}, nullptr};
    if (spec.code == 0 && spec.enhanced.empty() && spec.text.empty())
        return make_error(spec.where + ": give at least one of code, enhanced and text");
    if (spec.code != 0 && (spec.code < 400 || spec.code > 599))
        return make_error(spec.where + ".code: expected a reply code from 400 to 599, got " +
                          std::to_string(spec.code));
    if (!spec.enhanced.empty()) {
        auto pattern = StatusPattern::parse(spec.enhanced);
        if (!pattern)
            return make_error(spec.where + ".enhanced: expected an enhanced status code such as \"5.1.1\", "
                              "\"4.7\" or \"x.7.28\", got \"" + spec.enhanced + "\"");
        rule.enhanced = *pattern;
    }
    if (!spec.text.empty()) {
        auto pattern = TextPattern::compile(spec.text);
        if (!pattern)
            return make_error(spec.where + ".text: bad regular expression \"" + spec.text + "\": " +
                              pattern.error().message);
        rule.text = std::move(pattern).value();
    }
    const BounceReply example = split_bounce_reply(spec.example);
    if (!spec.example.empty() && !matches(rule, example, matched_text(example)))
        return make_error(spec.where + ".example: the rule does not match its own example \"" + spec.example + "\"");
    return rule;
}

}  // namespace

Result<BounceClassifier> BounceClassifier::compile(const std::vector<BounceRuleSpec>& specs) {
    auto rules = std::make_shared<Rules>();
    for (const BounceRuleSpec& spec : specs) {
        auto rule = compile_rule(spec);
        if (!rule) return rule.error();
        rules->list.push_back(std::move(rule).value());
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
    const std::string text = matched_text(reply);
    for (const CompiledRule& rule : rules_->list) {
        if (matches(rule, reply, text)) return rule.klass;
    }
    return by_status;
}

size_t BounceClassifier::rule_count() const { return rules_->list.size(); }

}  // namespace ringpost::delivery
