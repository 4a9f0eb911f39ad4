#include "dmarc/lookup.hpp"

#include "dns/resolver.hpp"

namespace ringpost::dmarc {

io::Task<dns::RecordSet> ResolverLookup::lookup(std::string name, uint16_t type) {
    return resolver_.lookup(std::move(name), type);
}

}  // namespace ringpost::dmarc
