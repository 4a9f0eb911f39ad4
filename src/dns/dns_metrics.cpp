// dns_metrics() (dns_metrics.hpp).
#include "dns/dns_metrics.hpp"

#include "dns/reply.hpp"

namespace ringpost::dns {
namespace {

DnsMetrics make() {
    metrics::Registry& r = metrics::global();
    auto& lookups = r.counter("ringpost_dns_lookups_total",
                              "DNS lookups by record type, by where the answer came from (cache, coalesced with "
                              "a query in flight, query sent)",
                              {"type", "source"});
    auto& replies = r.counter("ringpost_dns_replies_total",
                              "replies to the DNS queries sent, by record type and outcome", {"type", "outcome"});
    constexpr const char* kTypes[] = {"mx", "a", "aaaa", "txt", "ptr", "other"};
    constexpr const char* kSources[] = {"cache", "coalesced", "query"};
    constexpr const char* kOutcomes[] = {"answer", "nodata", "nxdomain", "temporary"};
    DnsMetrics m;
    for (size_t t = 0; t < DnsMetrics::kTypeCount; ++t) {
        for (size_t s = 0; s < DnsMetrics::kSourceCount; ++s) m.lookups[t][s] = lookups.with({kTypes[t], kSources[s]});
        for (size_t o = 0; o < 4; ++o) m.replies[t][o] = replies.with({kTypes[t], kOutcomes[o]});
    }
    return m;
}

}  // namespace

DnsMetrics::Type DnsMetrics::type_of(uint16_t rrtype) {
    switch (rrtype) {
        case kTypeMx: return kMx;
        case kTypeA: return kA;
        case kTypeAaaa: return kAaaa;
        case kTypeTxt: return kTxt;
        case kTypePtr: return kPtr;
        default: return kOther;
    }
}

const DnsMetrics& dns_metrics() {
    static const DnsMetrics m = make();
    return m;
}

}  // namespace ringpost::dns
