#include "spf/dns.hpp"

#include "dns/resolver.hpp"

namespace ringpost::spf {

io::Task<dns::RecordSet> ResolverDns::lookup(std::string name, uint16_t type) {
    return resolver_.lookup(std::move(name), type);
}

}  // namespace ringpost::spf
