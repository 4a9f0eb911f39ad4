// The RFC5322.From domain DMARC evaluates (RFC 7489 6.6.1). A message is
// evaluable when its header has exactly one From: field whose mailboxes
// all have one and the same domain (several mailboxes of one domain are
// evaluated once, as OpenDMARC does). No From:, several From: fields,
// several domains, a mailbox without a domain, an address literal or a
// name that is not an ASCII host name (IDNs must be A-labels: we have no
// IDNA conversion) make it "DMARC-unevaluable": the result is permerror,
// as OpenDMARC and rspamd report it.
#pragma once

#include <string>
#include <string_view>

namespace ringpost::dmarc {

struct Author {
    std::string domain;    // lowercase, no trailing dot; "" when unevaluable
    std::string problem;   // why it is unevaluable; "" when evaluable
    bool evaluable() const { return problem.empty(); }
};

// From the header section at the start of `message`.
Author author_of_message(std::string_view message);
// From a domain the caller already has (checked the same way).
Author author_of_domain(std::string_view domain);

}  // namespace ringpost::dmarc
