// The one DNS query the inbound checks make: SPF's terms, DKIM's key
// records, DMARC's policy records and its domain-existence check all ask
// lookup(name, type) and tell an answer, NODATA, NXDOMAIN and a temporary
// failure apart (RecordSet::outcome). An interface so that those checks run
// over the worker's Resolver (which implements it: cached, coalesced, on its
// ring) in the server and over an in-memory zone in their unit tests
// (tests/unit/dns/fake_zone.hpp).
#pragma once

#include <cstdint>
#include <string>

#include "dns/dns_types.hpp"
#include "io/task.hpp"

namespace ringpost::dns {

class Lookup {
public:
    virtual ~Lookup() = default;
    // One query of `type` (kTypeA, kTypeTxt, ...) for `name`.
    virtual io::Task<RecordSet> lookup(std::string name, uint16_t type) = 0;
};

}  // namespace ringpost::dns
