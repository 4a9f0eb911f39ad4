// Policy discovery (RFC 7489 6.6.3): the TXT records at _dmarc.<From
// domain>, and when none of them is a DMARC record, at _dmarc.<its
// organizational domain>. Several DMARC records at the name asked, or one
// that does not parse, mean no policy (no fallback: the name had records);
// a temporary DNS failure of either query is a temperror.
#pragma once

#include <string>

#include "dmarc/record.hpp"
#include "dns/lookup.hpp"
#include "io/task.hpp"

namespace ringpost::dmarc {

struct Discovery {
    enum class Status { kFound, kNone, kTempError };
    Status status = Status::kNone;
    Record record;                    // kFound
    std::string domain;               // kFound: the domain whose _dmarc record it is
    bool organizational = false;      // kFound: found by the fallback to the organizational domain
    std::string reason;               // kNone, kTempError: why, for logs and comments
};

// `from_domain` and `org_domain` normalised (lowercase, no trailing dot).
io::Task<Discovery> discover_policy(dns::Lookup& dns, std::string from_domain, std::string org_domain);

}  // namespace ringpost::dmarc
