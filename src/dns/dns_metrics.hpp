// The resolver's counters (metrics/registry.hpp), resolved once at first
// use: lookups by record type and how they were answered, and the replies
// of the queries sent by outcome.
#pragma once

#include <array>
#include <cstdint>

#include "dns/dns_types.hpp"
#include "metrics/registry.hpp"

namespace ringpost::dns {

struct DnsMetrics {
    enum Source { kCache, kCoalesced, kQuery, kSourceCount };
    enum Type { kMx, kA, kAaaa, kTxt, kPtr, kOther, kTypeCount };
    // ringpost_dns_lookups_total{type, source}
    std::array<std::array<metrics::Counter, kSourceCount>, kTypeCount> lookups;
    // ringpost_dns_replies_total{type, outcome}, by Outcome
    std::array<std::array<metrics::Counter, 4>, kTypeCount> replies;

    static Type type_of(uint16_t rrtype);
    void lookup(uint16_t rrtype, Source source) const { lookups[type_of(rrtype)][source].inc(); }
    void reply(uint16_t rrtype, Outcome outcome) const { replies[type_of(rrtype)][static_cast<size_t>(outcome)].inc(); }
};

const DnsMetrics& dns_metrics();

}  // namespace ringpost::dns
