// What the remote server offers, from its EHLO reply (RFC 5321 4.1.1.1):
// the extensions the delivery client uses, as bit flags (as OpenSMTPD's
// mta_session does), plus the SIZE limit. Unknown keywords are ignored.
#pragma once

#include <cstdint>

#include "delivery/client_reply.hpp"

namespace ringpost::delivery {

enum Extension : uint32_t {
    kExtPipelining = 1u << 0,          // RFC 2920
    kExtSize = 1u << 1,                // RFC 1870
    kExt8BitMime = 1u << 2,            // RFC 6152
    kExtSmtpUtf8 = 1u << 3,            // RFC 6531
    kExtChunking = 1u << 4,            // RFC 3030
    kExtBinaryMime = 1u << 5,          // RFC 3030
    kExtDsn = 1u << 6,                 // RFC 3461
    kExtEnhancedStatusCodes = 1u << 7, // RFC 2034
    kExtStartTls = 1u << 8,            // RFC 3207
};

struct Capabilities {
    uint32_t flags = 0;
    uint64_t max_size = 0;   // SIZE parameter; 0 = no fixed limit (or SIZE not offered)
    bool esmtp = false;      // EHLO succeeded (false after a HELO fallback)

    bool has(Extension e) const { return (flags & e) != 0; }
};

// Parses a 250 reply to EHLO; the first line (the server's name) is skipped.
Capabilities parse_ehlo(const ServerReply& reply);

}  // namespace ringpost::delivery
