// A clock the DNS tests move by hand (DnsCache::Now and ResolverOptions::clock).
#pragma once

#include "dns/dns_cache.hpp"

namespace ringpost::dns::test {

struct FakeClock {
    DnsCache::Clock::time_point now = DnsCache::Clock::time_point{} + std::chrono::hours(1000);
    DnsCache::Now fn() {
        return [this] { return now; };
    }
};

}  // namespace ringpost::dns::test
