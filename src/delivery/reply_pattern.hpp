// A pattern over remote replies, as rules files give them (bounce
// classification, shaping automation): the reply code exactly, the
// enhanced status code by leading components ("5.7" matches 5.7.1, "x"
// matches any component), and a case-insensitive POSIX extended regular
// expression (text_pattern.hpp) found anywhere in the reply text. Every
// part given must match; at least one is given.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace ringpost::delivery {

class TextPattern;

// What a reply says: code 0 when no server replied (decided here).
struct BounceReply {
    uint16_t code = 0;
    std::string_view enhanced;   // "5.1.1"; empty if none
    std::string_view text;
};

// A reply as the queue stores it (Diagnostic::to_string(), the recipient's
// last_reply): "550 5.1.1 text", "4.4.2 text" (local), either followed by
// a " [tls=...]" note, which is left out. Views into `reply`.
BounceReply split_bounce_reply(std::string_view reply);

struct ReplyPatternSpec {
    uint16_t code = 0;       // the reply code (400-599); 0 = any
    std::string enhanced;    // "5.1.1", "4.7", "x.7.28"; "" = any
    std::string text;        // regular expression; "" = any
    std::string example;     // a reply the pattern must match (checked by compile); "" = none
    std::string where;       // names the rule in errors: "rules.toml: rule[3]"

    bool operator==(const ReplyPatternSpec&) const = default;
};

class ReplyPattern {
public:
    // Only the first kMaxMatchedText bytes of a text are searched, so that a
    // hostile server's 500 KB reply costs no more than a long real one.
    static constexpr size_t kMaxMatchedText = 2048;

    // Errors name spec.where and the part at fault:
    // "rules.toml: rule[3].text: bad regular expression \"(\": ...".
    static Result<ReplyPattern> compile(const ReplyPatternSpec& spec);
    // `text`: matched_text(reply), cut once for many patterns.
    bool matches(const BounceReply& reply, const std::string& text) const;
    bool matches(const BounceReply& reply) const { return matches(reply, matched_text(reply)); }
    static std::string matched_text(const BounceReply& reply);

private:
    struct Status {   // an enhanced code pattern: up to three components, each a number or any
        static constexpr int kAny = -1;
        std::array<int, 3> parts{};
        size_t count = 0;   // 0 = matches everything
        bool matches(std::string_view enhanced) const;
    };
    static bool parse_status(std::string_view text, Status& out);

    uint16_t code_ = 0;
    Status enhanced_;
    std::shared_ptr<const TextPattern> text_;   // null: any text
};

}  // namespace ringpost::delivery
