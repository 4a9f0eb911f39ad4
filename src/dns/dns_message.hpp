// A minimal walk over a DNS reply (RFC 1035 4.1) for what c-ares' parsers
// do not report: the rcode, the smallest TTL in the answer section, its
// CNAME records (to find loops), and the negative-caching TTL of an SOA in
// the authority section (RFC 2308 5: min(SOA TTL, SOA MINIMUM)). Other
// record data is parsed by c-ares, not here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ringpost::dns {

struct MessageInfo {
    bool valid = false;                      // header and all records well-formed
    int rcode = 0;
    uint16_t answer_count = 0;
    std::optional<uint32_t> min_answer_ttl;  // over every answer RR (CNAMEs included)
    std::optional<uint32_t> negative_ttl;    // from an authority-section SOA
    // The answer section's CNAME records, (owner, target), lower-cased and
    // without the trailing dot, in message order.
    std::vector<std::pair<std::string, std::string>> cnames;
};

MessageInfo inspect_message(const unsigned char* data, size_t len);

}  // namespace ringpost::dns
