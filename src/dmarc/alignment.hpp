// Identifier alignment (RFC 7489 3.1): an authenticated domain (SPF's
// MAIL FROM or HELO domain, a DKIM signature's d=) matches the From
// domain exactly (strict), or has the same organizational domain (relaxed).
#pragma once

#include <string_view>

#include "dmarc/public_suffix.hpp"
#include "dmarc/record.hpp"

namespace ringpost::dmarc {

// Case and a trailing dot do not matter; an empty identifier never aligns.
bool aligned(std::string_view from_domain, std::string_view identifier, Alignment mode,
             const PublicSuffixList& psl);

}  // namespace ringpost::dmarc
