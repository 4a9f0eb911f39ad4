// Resolver: asynchronous MX and address lookups for one ring (one per worker
// thread), as coroutines over an AresDriver, with a TTL cache and coalescing
// of concurrent lookups for the same (name, type).
//
// lookup(name, type) is the plain query behind them (TXT and PTR too) for
// the inbound checks, which see the resolver as a dns::Lookup.
//
// resolve_mx(domain) implements RFC 5321 5.1 and RFC 7505: MX records in
// preference order (ties shuffled), each host with its IPv6 and IPv4
// addresses; no MX records -> the domain itself (implicit MX, preference 0);
// null MX and NXDOMAIN (and a name without MX or addresses: NODATA) ->
// permanent failure; SERVFAIL, REFUSED, timeouts, refused connections, a
// CNAME loop, a name too long to ask for -> temporary failure. A failed lookup's Error carries
// the DnsStatus in its code (status_of()) and says what happened.
//
// Use from the ring's thread. Before destroying it, co_await shutdown() and
// let running lookups finish (they fail at once once shut down).
#pragma once

#include <coroutine>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "dns/ares_driver.hpp"
#include "dns/dns_cache.hpp"
#include "dns/dns_types.hpp"
#include "dns/lookup.hpp"
#include "io/ring.hpp"
#include "io/task.hpp"
#include "util/result.hpp"

namespace ringpost::dns {

class Resolver final : public Lookup {
public:
    static Result<std::unique_ptr<Resolver>> create(io::Ring& ring, ResolverOptions options = {});
    ~Resolver() override;
    Resolver(const Resolver&) = delete;
    Resolver& operator=(const Resolver&) = delete;

    // MX hosts of `domain` with their addresses; an address literal such as
    // "[192.0.2.1]" yields one host with that address.
    io::Task<Result<MxResult>> resolve_mx(std::string domain);
    // A and AAAA of `host` (IPv6 first); an IP literal is returned directly.
    io::Task<Result<std::vector<Address>>> resolve_host(std::string host);
    // One query of `type` (A, AAAA, MX, TXT or PTR) for `name`, cached and
    // coalesced like the others. The outcome tells an answer, NODATA,
    // NXDOMAIN and a temporary failure apart, as SPF (void lookups), DKIM
    // key fetches and DNS block lists need.
    io::Task<RecordSet> lookup(std::string name, uint16_t type) override;

    // Fail new lookups, destroy the c-ares channel (pending lookups fail as
    // temporary), and wait until no ring operation is in flight.
    io::Task<void> shutdown();

    // For tests: queries sent to DNS servers, ring operations in flight, the cache.
    uint64_t queries_sent() const { return queries_sent_; }
    size_t operations_in_flight() const { return driver_->operations_in_flight(); }
    DnsCache& cache() { return cache_; }

private:
    // One (name, type) query in progress; every lookup of it awaits the same flight.
    struct Flight {
        bool done = false;
        RecordSet result;
        std::vector<std::coroutine_handle<>> waiters;
    };
    struct FlightAwaiter {
        std::shared_ptr<Flight> flight;
        bool await_ready() const noexcept { return flight->done; }
        void await_suspend(std::coroutine_handle<> h) { flight->waiters.push_back(h); }
        RecordSet await_resume() const { return flight->result; }
    };
    struct QueryContext {
        Resolver* resolver;
        std::string name;
        uint16_t type;
        std::shared_ptr<Flight> flight;
    };

    Resolver(io::Ring& ring, ResolverOptions options);
    // Start (or join, or answer from the cache) the query for a normalised name.
    std::shared_ptr<Flight> start(const std::string& name, uint16_t type);
    static void on_reply(void* arg, int status, int timeouts, unsigned char* abuf, int alen);
    io::Task<Result<std::vector<Address>>> addresses_of(std::string name);

    io::Ring& ring_;
    ResolverOptions options_;
    DnsCache cache_;
    std::mt19937_64 rng_;
    std::unordered_map<std::string, std::shared_ptr<Flight>> in_flight_;
    uint64_t queries_sent_ = 0;
    bool closed_ = false;
    std::unique_ptr<AresDriver> driver_;  // last: destroyed first, while the rest still exists
};

}  // namespace ringpost::dns
