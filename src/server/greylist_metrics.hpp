// Greylisting's counter (metrics/registry.hpp), resolved once at first
// use: ringpost_greylist_total by Greylist::Outcome. README "Metrics"
// lists it.
#pragma once

#include <array>

#include "metrics/registry.hpp"
#include "server/greylist.hpp"

namespace ringpost::server {

struct GreylistMetrics {
    std::array<metrics::Counter, Greylist::kOutcomeCount> outcomes;

    void count(Greylist::Outcome o) const { outcomes[static_cast<size_t>(o)].inc(); }
};

const GreylistMetrics& greylist_metrics();

}  // namespace ringpost::server
