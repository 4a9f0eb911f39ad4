// DNS block and allow lists (RFC 5782) scored as Postfix's postscreen
// does: each site of the configuration ("zen.test*3",
// "bl.test=127.0.0.[2..11]*2", "wl.test*-2") is a zone, an optional
// filter on the listing reply's address, and a weight (1 when not given;
// negative for allow lists). A client's score is the sum of the weights of
// the sites whose zone lists it with an address the filter accepts.
//
// Reply addresses outside 127.0.0.0/8, and 127.255.255.252-255 (what
// Spamhaus answers to a refused query, a typo in the zone or an open
// resolver), are errors of the list, never listings (RFC 5782 2.1: a
// listing is 127.0.0.2 and up).
//
// Pure functions: parsing, matching, scoring; the lookups are the
// caller's (server/screening).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace ringpost::dns {

struct DnsblSite {
    std::string zone;     // lower-case, no trailing dot
    std::string filter;   // as written after '='; "" = any listing address
    int weight = 1;
    std::string text;     // the whole entry as written, for messages
    // The filter, parsed: per octet, the accepted [low, high] ranges.
    std::array<std::vector<std::pair<uint8_t, uint8_t>>, 4> octets;

    bool accepts(const std::array<uint8_t, 4>& address) const;
};

// "zone[=filter][*weight]", the filter four dot-separated octets, each a
// number or a bracketed list of numbers and ranges ("127.0.0.[2..11;20]").
Result<DnsblSite> parse_dnsbl_site(std::string_view text);

// What a reply address of an A query says.
enum class DnsblCode { kListed, kQueryError, kNotLoopback };
DnsblCode classify_dnsbl_address(const std::array<uint8_t, 4>& address);

// One zone's answer to the client's query, as the screening collected it.
struct DnsblAnswer {
    std::string zone;
    std::vector<std::array<uint8_t, 4>> addresses;   // the A records (empty: not listed, or no answer)
};

struct DnsblScore {
    int total = 0;
    // The zone of the site with the largest weight among those that
    // matched (the first of equals, in site order): the one the reply names.
    std::string top_zone;
    int top_weight = 0;
};

// The score of `answers` against `sites` (error codes ignored).
DnsblScore score_dnsbl(const std::vector<DnsblSite>& sites, const std::vector<DnsblAnswer>& answers);

// The zones of `sites`, each once, in order: one query each.
std::vector<std::string> dnsbl_zones(const std::vector<DnsblSite>& sites);

}  // namespace ringpost::dns
