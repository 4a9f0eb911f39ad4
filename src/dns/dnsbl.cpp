// DNSBL site parsing, reply classification and scoring; see dnsbl.hpp.
#include "dns/dnsbl.hpp"

#include <algorithm>
#include <charconv>

namespace ringpost::dns {
namespace {

bool parse_number(std::string_view s, long min, long max, long& out) {
    if (s.empty()) return false;
    const char* end = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(s.data(), end, out);
    return ec == std::errc() && ptr == end && out >= min && out <= max;
}

bool parse_byte(std::string_view s, uint8_t& out) {
    long n = 0;
    if (s.empty() || s.front() == '-' || s.front() == '+' || !parse_number(s, 0, 255, n)) return false;
    out = static_cast<uint8_t>(n);
    return true;
}

// One octet of a filter: "2", or "[2..11;20]".
bool parse_octet(std::string_view s, std::vector<std::pair<uint8_t, uint8_t>>& ranges) {
    if (s.size() < 2 || s.front() != '[' || s.back() != ']') {
        uint8_t n = 0;
        if (!parse_byte(s, n)) return false;
        ranges.emplace_back(n, n);
        return true;
    }
    s = s.substr(1, s.size() - 2);
    while (true) {
        const size_t semi = s.find(';');
        const std::string_view item = s.substr(0, semi);
        const size_t dots = item.find("..");
        uint8_t low = 0, high = 0;
        if (dots == std::string_view::npos) {
            if (!parse_byte(item, low)) return false;
            high = low;
        } else if (!parse_byte(item.substr(0, dots), low) || !parse_byte(item.substr(dots + 2), high) || low > high) {
            return false;
        }
        ranges.emplace_back(low, high);
        if (semi == std::string_view::npos) return true;
        s.remove_prefix(semi + 1);
    }
}

// The '.' that ends the octet at the start of `text` (ranges inside
// brackets have dots of their own), or npos.
size_t octet_end(std::string_view text) {
    bool bracket = false;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '[') bracket = true;
        if (text[i] == ']') bracket = false;
        if (text[i] == '.' && !bracket) return i;
    }
    return std::string_view::npos;
}

bool parse_filter(std::string_view text, DnsblSite& site) {
    for (size_t i = 0; i < 4; ++i) {
        const size_t dot = octet_end(text);
        if ((dot == std::string_view::npos) != (i == 3)) return false;
        if (!parse_octet(text.substr(0, dot), site.octets[i])) return false;
        text.remove_prefix(dot == std::string_view::npos ? text.size() : dot + 1);
    }
    return true;
}

// A zone: dot-separated labels of letters, digits, '-' and '_' (some
// lists' access keys), at most 63 bytes each.
bool valid_zone(std::string_view zone) {
    if (zone.empty() || zone.size() > 253) return false;
    size_t label = 0;
    for (char ch : zone) {
        if (ch == '.') {
            if (label == 0) return false;
            label = 0;
            continue;
        }
        const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
        if (!ok || ++label > 63) return false;
    }
    return label > 0;
}

}  // namespace

bool DnsblSite::accepts(const std::array<uint8_t, 4>& address) const {
    if (filter.empty()) return true;
    for (size_t i = 0; i < 4; ++i) {
        const auto& ranges = octets[i];
        const bool in = std::any_of(ranges.begin(), ranges.end(),
                                    [&](const auto& r) { return address[i] >= r.first && address[i] <= r.second; });
        if (!in) return false;
    }
    return true;
}

Result<DnsblSite> parse_dnsbl_site(std::string_view text) {
    DnsblSite site;
    site.text = std::string(text);
    std::string_view rest = text;
    if (const size_t star = rest.find('*'); star != std::string_view::npos) {
        long weight = 0;
        if (!parse_number(rest.substr(star + 1), -1000, 1000, weight))
            return make_error("expected a weight from -1000 to 1000 after '*' in \"" + site.text + "\"");
        site.weight = static_cast<int>(weight);
        rest = rest.substr(0, star);
    }
    if (const size_t eq = rest.find('='); eq != std::string_view::npos) {
        site.filter = std::string(rest.substr(eq + 1));
        if (!parse_filter(site.filter, site))
            return make_error("expected a reply filter like 127.0.0.2 or 127.0.0.[2..11] after '=' in \"" +
                              site.text + "\"");
        rest = rest.substr(0, eq);
    }
    if (!rest.empty() && rest.back() == '.') rest.remove_suffix(1);
    site.zone.reserve(rest.size());
    for (char ch : rest) site.zone.push_back(ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch);
    if (!valid_zone(site.zone)) return make_error("expected a DNS zone in \"" + site.text + "\"");
    return site;
}

DnsblCode classify_dnsbl_address(const std::array<uint8_t, 4>& a) {
    if (a[0] != 127) return DnsblCode::kNotLoopback;
    if (a[1] == 255 && a[2] == 255 && a[3] >= 252) return DnsblCode::kQueryError;
    return DnsblCode::kListed;
}

DnsblScore score_dnsbl(const std::vector<DnsblSite>& sites, const std::vector<DnsblAnswer>& answers) {
    DnsblScore score;
    bool named = false;
    for (const DnsblSite& site : sites) {
        auto answer = std::find_if(answers.begin(), answers.end(), [&](const DnsblAnswer& a) { return a.zone == site.zone; });
        if (answer == answers.end()) continue;
        const bool matched = std::any_of(answer->addresses.begin(), answer->addresses.end(), [&](const auto& address) {
            return classify_dnsbl_address(address) == DnsblCode::kListed && site.accepts(address);
        });
        if (!matched) continue;
        score.total += site.weight;
        if (!named || site.weight > score.top_weight) {
            score.top_zone = site.zone;
            score.top_weight = site.weight;
            named = true;
        }
    }
    return score;
}

std::vector<std::string> dnsbl_zones(const std::vector<DnsblSite>& sites) {
    std::vector<std::string> zones;
    for (const DnsblSite& site : sites)
        if (std::find(zones.begin(), zones.end(), site.zone) == zones.end()) zones.push_back(site.zone);
    return zones;
}

}  // namespace ringpost::dns
