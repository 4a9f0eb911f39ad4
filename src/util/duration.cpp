// parse_duration (see duration.hpp).
#include "util/duration.hpp"

#include <cstdint>
#include <string>

namespace ringpost::util {

namespace {

constexpr uint64_t kMaxSeconds = UINT32_MAX;   // same limit as the configuration

Error bad(std::string_view text, const std::string& why) {
    return make_error("bad duration \"" + std::string(text) + "\": " + why);
}

}  // namespace

Result<std::chrono::seconds> parse_duration(std::string_view text) {
    if (text.empty()) return bad(text, "empty (expected e.g. \"30s\", \"5m\", \"1h\", \"1d\")");
    uint64_t total = 0;
    size_t i = 0;
    while (i < text.size()) {
        const size_t start = i;
        uint64_t n = 0;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            n = n * 10 + static_cast<uint64_t>(text[i] - '0');
            if (n > kMaxSeconds) return bad(text, "too large");
            ++i;
        }
        if (i == start) {
            return bad(text, "expected a number at \"" + std::string(text.substr(i)) + "\"");
        }
        uint64_t unit = 1;
        if (i < text.size()) {
            switch (text[i]) {
                case 's': unit = 1; break;
                case 'm': unit = 60; break;
                case 'h': unit = 3600; break;
                case 'd': unit = 86400; break;
                default:
                    return bad(text, "unknown unit '" + std::string(1, text[i]) + "' (use s, m, h or d)");
            }
            ++i;
        } else if (start != 0) {
            // "1h30" is ambiguous (minutes? seconds?), so the last number of a
            // sum needs its unit; only a lone number means seconds.
            return bad(text, "the last number needs a unit (s, m, h or d)");
        }
        total += n * unit;
        if (total > kMaxSeconds) return bad(text, "too large");
    }
    return std::chrono::seconds(static_cast<int64_t>(total));
}

}  // namespace ringpost::util
