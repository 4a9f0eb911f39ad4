// The DNS queries DMARC makes, behind an interface: production asks the
// worker's resolver (ResolverLookup, never a blocking call on the ring);
// unit tests answer from a map.
#pragma once

#include <cstdint>
#include <string>

#include "dns/dns_types.hpp"
#include "io/task.hpp"

namespace ringpost::dns {
class Resolver;
}

namespace ringpost::dmarc {

class DnsLookup {
public:
    virtual ~DnsLookup() = default;
    // One query (dns::kTypeTxt, kTypeA, ...): answer, NODATA, NXDOMAIN or a temporary failure.
    virtual io::Task<dns::RecordSet> lookup(std::string name, uint16_t type) = 0;
};

class ResolverLookup final : public DnsLookup {
public:
    explicit ResolverLookup(dns::Resolver& resolver) : resolver_(resolver) {}
    io::Task<dns::RecordSet> lookup(std::string name, uint16_t type) override;

private:
    dns::Resolver& resolver_;
};

}  // namespace ringpost::dmarc
