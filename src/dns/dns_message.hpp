// A minimal walk over a DNS reply (RFC 1035 4.1) for what c-ares' parsers
// do not report: the rcode, the smallest TTL in the answer section, and the
// negative-caching TTL of an SOA in the authority section (RFC 2308 5:
// min(SOA TTL, SOA MINIMUM)). Record data is parsed by c-ares, not here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace ringpost::dns {

struct MessageInfo {
    bool valid = false;                      // header and all records well-formed
    int rcode = 0;
    uint16_t answer_count = 0;
    std::optional<uint32_t> min_answer_ttl;  // over every answer RR (CNAMEs included)
    std::optional<uint32_t> negative_ttl;    // from an authority-section SOA
};

MessageInfo inspect_message(const unsigned char* data, size_t len);

}  // namespace ringpost::dns
