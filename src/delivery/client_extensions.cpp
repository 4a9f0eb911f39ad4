// EHLO keyword parsing for the delivery client (see client_extensions.hpp).
#include "delivery/client_extensions.hpp"
#include "util/ascii.hpp"

#include <charconv>
#include <string_view>

namespace ringpost::delivery {
namespace {

using util::iequals;

struct Keyword {
    std::string_view name;
    Extension flag;
};

constexpr Keyword kKeywords[] = {
    {"PIPELINING", kExtPipelining}, {"SIZE", kExtSize},         {"8BITMIME", kExt8BitMime},
    {"SMTPUTF8", kExtSmtpUtf8},     {"CHUNKING", kExtChunking}, {"BINARYMIME", kExtBinaryMime},
    {"DSN", kExtDsn},               {"ENHANCEDSTATUSCODES", kExtEnhancedStatusCodes},
    {"STARTTLS", kExtStartTls},
};

}  // namespace

Capabilities parse_ehlo(const ServerReply& reply) {
    Capabilities caps;
    caps.esmtp = true;
    for (size_t i = 1; i < reply.lines.size(); ++i) {
        std::string_view line = reply.lines[i];
        while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
        size_t sp = line.find(' ');
        std::string_view keyword = line.substr(0, sp);
        std::string_view param = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
        for (const auto& k : kKeywords) {
            if (!iequals(keyword, k.name)) continue;
            caps.flags |= k.flag;
            if (k.flag == kExtSize) {
                uint64_t n = 0;
                auto [p, ec] = std::from_chars(param.data(), param.data() + param.size(), n);
                // A missing or unreadable value means "no fixed limit" (RFC 1870 4).
                caps.max_size = ec == std::errc{} ? n : 0;
                (void)p;
            }
            break;
        }
    }
    return caps;
}

}  // namespace ringpost::delivery
