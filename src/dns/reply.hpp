// interpret_reply: what a finished c-ares query means for ringpost: the
// RecordSet (answer, NODATA, NXDOMAIN, or a temporary/permanent failure with
// its message) and how long the cache may keep it (min answer TTL; SOA
// minimum or the default for negative answers; the short temporary-failure
// TTL). Pure: takes the c-ares status and the raw reply.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "dns/dns_types.hpp"

namespace ringpost::dns {

std::string_view type_name(uint16_t type);

struct Interpreted {
    RecordSet records;
    std::chrono::seconds ttl{0};  // 0 = do not cache
};

// `status` is the c-ares status of an ares_query() for (name, type);
// abuf/alen the reply (may be null).
Interpreted interpret_reply(int status, const std::string& name, uint16_t type, const unsigned char* abuf, int alen,
                            const ResolverOptions& options);

}  // namespace ringpost::dns
