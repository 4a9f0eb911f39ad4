// ReplyPattern (see reply_pattern.hpp).
#include "delivery/reply_pattern.hpp"

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

}  // namespace

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

bool ReplyPattern::parse_status(std::string_view text, Status& p) {
    p = Status{};
    for (size_t start = 0;;) {
        const size_t dot = text.find('.', start);
        const std::string_view part = text.substr(start, dot == text.npos ? text.npos : dot - start);
        if (p.count == p.parts.size()) return false;
        if (part == "x" || part == "X") {
            p.parts[p.count++] = Status::kAny;
        } else if (part.empty() || part.size() > 3 || part.find_first_not_of("0123456789") != part.npos) {
            return false;
        } else {
            p.parts[p.count++] = std::stoi(std::string(part));
        }
        if (dot == text.npos) return true;
        start = dot + 1;
    }
}

bool ReplyPattern::Status::matches(std::string_view enhanced) const {
    for (size_t i = 0; i < count; ++i) {
        const size_t dot = enhanced.find('.');
        const std::string_view part = enhanced.substr(0, dot);
        if (part.empty()) return false;
        if (parts[i] != kAny && part != std::to_string(parts[i])) return false;
        enhanced = dot == std::string_view::npos ? std::string_view() : enhanced.substr(dot + 1);
    }
    return true;
}

std::string ReplyPattern::matched_text(const BounceReply& reply) {
    return std::string(reply.text.substr(0, kMaxMatchedText));
}

bool ReplyPattern::matches(const BounceReply& reply, const std::string& text) const {
    if (code_ != 0 && code_ != reply.code) return false;
    if (!enhanced_.matches(reply.enhanced)) return false;
    return !text_ || text_->found_in(text);
}

Result<ReplyPattern> ReplyPattern::compile(const ReplyPatternSpec& spec) {
    ReplyPattern p;
    p.code_ = spec.code;
    if (spec.code == 0 && spec.enhanced.empty() && spec.text.empty())
        return make_error(spec.where + ": give at least one of code, enhanced and text");
    if (spec.code != 0 && (spec.code < 400 || spec.code > 599))
        return make_error(spec.where + ".code: expected a reply code from 400 to 599, got " +
                          std::to_string(spec.code));
    if (!spec.enhanced.empty() && !parse_status(spec.enhanced, p.enhanced_))
        return make_error(spec.where + ".enhanced: expected an enhanced status code such as \"5.1.1\", "
                          "\"4.7\" or \"x.7.28\", got \"" + spec.enhanced + "\"");
    if (!spec.text.empty()) {
        auto pattern = TextPattern::compile(spec.text);
        if (!pattern)
            return make_error(spec.where + ".text: bad regular expression \"" + spec.text + "\": " +
                              pattern.error().message);
        p.text_ = std::move(pattern).value();
    }
    if (!spec.example.empty() && !p.matches(split_bounce_reply(spec.example)))
        return make_error(spec.where + ".example: the rule does not match its own example \"" + spec.example + "\"");
    return p;
}

}  // namespace ringpost::delivery
