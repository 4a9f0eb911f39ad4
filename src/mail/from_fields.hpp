// The From: fields of a message (RFC 5322 3.6.2): how many the header
// section has and the mailboxes of the first. What the checks that need the
// author read: DKIM signing picks its domain, DMARC (RFC 7489 6.6.1)
// refuses a message whose author is not exactly one domain.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "mail/address_list.hpp"

namespace ringpost::mail {

struct FromFields {
    size_t count = 0;                // From: fields in the header section
    // The mailboxes of the first From: field, members of groups included,
    // in order; a part that is missing (no '@', no local part) is "" here,
    // not address_list's MISSING_* placeholder.
    std::vector<Address> mailboxes;
};

// Reads the header section at the start of `message` (the body is ignored).
FromFields read_from_fields(std::string_view message);

}  // namespace ringpost::mail
