// The DNS that SPF evaluation asks: one query of a type for a name, with
// answer / NODATA / NXDOMAIN / temporary failure told apart (void lookups
// and temperror depend on it). Production code uses the worker's resolver
// (ResolverDns); unit tests an in-memory zone.
#pragma once

#include <cstdint>
#include <string>

#include "dns/dns_types.hpp"
#include "io/task.hpp"

namespace ringpost::dns {
class Resolver;
}

namespace ringpost::spf {

class Dns {
public:
    virtual ~Dns() = default;
    virtual io::Task<dns::RecordSet> lookup(std::string name, uint16_t type) = 0;
};

// Over dns::Resolver::lookup (cached, coalesced, on the resolver's ring).
class ResolverDns final : public Dns {
public:
    explicit ResolverDns(dns::Resolver& resolver) : resolver_(resolver) {}
    io::Task<dns::RecordSet> lookup(std::string name, uint16_t type) override;

private:
    dns::Resolver& resolver_;
};

}  // namespace ringpost::spf
