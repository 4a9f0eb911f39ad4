// Where the verifier gets DKIM key records: an interface with one call,
// lookup(name, type), so that the verifier runs over the ring's resolver in
// the server and over an in-memory table in tests.
#pragma once

#include <cstdint>
#include <string>

#include "dns/dns_types.hpp"
#include "io/task.hpp"

namespace ringpost::dns {
class Resolver;
}

namespace ringpost::dkim {

class KeyFetcher {
public:
    virtual ~KeyFetcher() = default;
    // One DNS query (the verifier asks for TXT only).
    virtual io::Task<dns::RecordSet> lookup(std::string name, uint16_t type) = 0;
};

// Over a ring's resolver, which caches answers by their TTL and coalesces
// concurrent queries for one name (so the verifier caches nothing itself).
// Use on the resolver's ring.
class ResolverKeyFetcher final : public KeyFetcher {
public:
    explicit ResolverKeyFetcher(dns::Resolver& resolver) : resolver_(resolver) {}
    io::Task<dns::RecordSet> lookup(std::string name, uint16_t type) override;

private:
    dns::Resolver& resolver_;
};

}  // namespace ringpost::dkim
