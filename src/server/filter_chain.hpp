// Several smtp::MessageFilters run as one, in order (the SMTP driver takes
// one): each worker's inbound checks first (they add Authentication-Results
// and may refuse), then the shared chain: the egress pool step, which
// removes X-Ringpost-Pool, then the milters, then DKIM signing, whose
// signature must not cover a removed field nor our own
// Authentication-Results, and must cover the fields a milter added. The first
// refusal ends the chain.
#pragma once

#include <vector>

#include "smtp/message_filter.hpp"

namespace ringpost::server {

class FilterChain final : public smtp::MessageFilter {
public:
    // Null entries are skipped (a filter that is not configured).
    explicit FilterChain(std::vector<smtp::MessageFilter*> filters);
    io::Task<smtp::FilterVerdict> filter(smtp::AcceptedMessage& message) override;

private:
    std::vector<smtp::MessageFilter*> filters_;
};

}  // namespace ringpost::server
