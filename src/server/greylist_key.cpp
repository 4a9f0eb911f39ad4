#include "server/greylist_key.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "util/ascii.hpp"

namespace ringpost::server {
namespace {

constexpr char kSeparator = '\x1f';

bool is_word_char(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || (ch >= 'A' && ch <= 'Z');
}

bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }

// Each run of digits between non-word characters (Perl's \b\d+\b) -> '#'.
std::string hash_numbers(std::string_view local) {
    std::string out;
    size_t i = 0;
    while (i < local.size()) {
        size_t end = i;
        while (end < local.size() && is_digit(local[end])) ++end;
        const bool alone = end > i && (i == 0 || !is_word_char(local[i - 1])) &&
                           (end == local.size() || !is_word_char(local[end]));
        if (alone) {
            out += '#';
            i = end;
        } else if (end > i) {
            out.append(local.substr(i, end - i));
            i = end;
        } else {
            out += local[i++];
        }
    }
    return out;
}

}  // namespace

std::string client_network(const uint8_t ip16[16], uint32_t prefix_v4, uint32_t prefix_v6) {
    static constexpr uint8_t kV4Mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    const bool v4 = std::memcmp(ip16, kV4Mapped, sizeof kV4Mapped) == 0;
    const uint32_t prefix = v4 ? prefix_v4 : prefix_v6;
    uint8_t masked[16];
    std::memcpy(masked, ip16, 16);
    const uint32_t first = v4 ? 96 : 0;   // bit where the address starts
    for (uint32_t bit = first + prefix; bit < 128; ++bit) masked[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
    char text[INET6_ADDRSTRLEN] = {};
    if (v4)
        inet_ntop(AF_INET, masked + 12, text, sizeof text);
    else
        inet_ntop(AF_INET6, masked, text, sizeof text);
    return std::string(text) + "/" + std::to_string(prefix);
}

std::string normalized_sender(std::string_view sender) {
    const std::string lower = util::ascii_lower(sender);
    const auto at = lower.rfind('@');
    if (at == std::string::npos) return lower;   // "" (the null sender) or a bare name
    std::string_view local = std::string_view(lower).substr(0, at);
    if (auto plus = local.find('+'); plus != std::string_view::npos) local = local.substr(0, plus);
    return hash_numbers(local) + lower.substr(at);
}

std::string triplet_key(std::string_view network, std::string_view sender, std::string_view recipient) {
    std::string key = "t";
    for (std::string_view part : {network, sender, recipient}) {
        key += kSeparator;
        key.append(part);
    }
    return key;
}

std::string client_key(std::string_view network) { return std::string("c") + kSeparator + std::string(network); }

bool is_client_key(std::string_view key) { return key.size() > 1 && key[0] == 'c' && key[1] == kSeparator; }

}  // namespace ringpost::server
