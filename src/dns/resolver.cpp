// Resolver: MX/A/AAAA lookups as coroutines with cache and coalescing; see resolver.hpp.
#include "dns/resolver.hpp"

#include "dns/dns_metrics.hpp"
#include "dns/mx.hpp"
#include "dns/reply.hpp"

namespace ringpost::dns {
namespace {

std::string flight_key(const std::string& name, uint16_t type) {
    std::string k = name;
    k.push_back('\0');
    k.append(std::to_string(type));
    return k;
}

uint64_t seed_of(const ResolverOptions& options) {
    if (options.seed != 0) return options.seed;
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace

Result<std::unique_ptr<Resolver>> Resolver::create(io::Ring& ring, ResolverOptions options) {
    auto driver = AresDriver::create(ring, options);
    if (!driver) return driver.error();
    std::unique_ptr<Resolver> r(new Resolver(ring, std::move(options)));
    r->driver_ = std::move(driver.value());
    return r;
}

Resolver::Resolver(io::Ring& ring, ResolverOptions options)
    : ring_(ring),
      options_(std::move(options)),
      cache_(options_.clock, options_.cache_capacity),
      rng_(seed_of(options_)) {}

Resolver::~Resolver() {
    closed_ = true;
    driver_.reset();  // pending queries complete (cancelled) while the members still exist
}

io::Task<void> Resolver::shutdown() {
    closed_ = true;
    co_await driver_->shutdown();
}

std::shared_ptr<Resolver::Flight> Resolver::start(const std::string& name, uint16_t type) {
    auto flight = std::make_shared<Flight>();
    if (closed_) {
        flight->done = true;
        flight->result.outcome = Outcome::kTemporary;
        flight->result.error = "DNS resolver shut down (" + name + ")";
        return flight;
    }
    if (const RecordSet* hit = cache_.get(name, type)) {
        dns_metrics().lookup(type, DnsMetrics::kCache);
        flight->done = true;
        flight->result = *hit;
        return flight;
    }
    std::string key = flight_key(name, type);
    if (auto it = in_flight_.find(key); it != in_flight_.end()) {
        dns_metrics().lookup(type, DnsMetrics::kCoalesced);
        return it->second;
    }
    dns_metrics().lookup(type, DnsMetrics::kQuery);
    in_flight_.emplace(std::move(key), flight);
    ++queries_sent_;
    // May call on_reply at once (an invalid name): the flight is registered first.
    driver_->query(name, type, &Resolver::on_reply, new QueryContext{this, name, type, flight});
    return flight;
}

void Resolver::on_reply(void* arg, int status, int, unsigned char* abuf, int alen) {
    std::unique_ptr<QueryContext> ctx(static_cast<QueryContext*>(arg));
    Resolver* r = ctx->resolver;
    Interpreted in = interpret_reply(status, ctx->name, ctx->type, abuf, alen, r->options_);
    dns_metrics().reply(ctx->type, in.records.outcome);
    if (!r->closed_) r->cache_.put(ctx->name, ctx->type, in.records, in.ttl);
    r->in_flight_.erase(flight_key(ctx->name, ctx->type));
    Flight& f = *ctx->flight;
    f.result = std::move(in.records);
    f.done = true;
    // Called from a CQE walk: resume the waiters in the ring's next turn, not here.
    for (auto h : f.waiters) r->ring_.schedule(h);
    f.waiters.clear();
}

io::Task<Result<std::vector<Address>>> Resolver::addresses_of(std::string name) {
    if (name.empty()) co_return dns_error(DnsStatus::kPermanent, "empty host name");
    // Both queries go out before waiting for either.
    std::shared_ptr<Flight> v6 = start(name, kTypeAaaa);
    std::shared_ptr<Flight> v4 = start(name, kTypeA);
    FlightAwaiter wait6{v6};
    RecordSet aaaa = co_await wait6;
    FlightAwaiter wait4{v4};
    RecordSet a = co_await wait4;
    co_return combine_addresses(name, aaaa, a);
}

io::Task<Result<std::vector<Address>>> Resolver::resolve_host(std::string host) {
    if (auto literal = parse_ip_literal(host)) co_return std::vector<Address>{*literal};
    // A named task: no std::string temporary inside the co_await (g++ 12).
    auto resolving = addresses_of(normalize_name(host));
    co_return co_await std::move(resolving);
}

io::Task<RecordSet> Resolver::lookup(std::string name, uint16_t type) {
    std::string normal = normalize_name(name);
    if (normal.empty()) {
        RecordSet none;
        none.outcome = Outcome::kNxDomain;
        none.error = "empty domain name";
        co_return none;
    }
    FlightAwaiter wait{start(normal, type)};
    co_return co_await wait;
}

io::Task<Result<MxResult>> Resolver::resolve_mx(std::string domain) {
    MxResult result;
    if (!domain.empty() && domain.front() == '[') {
        auto literal = parse_ip_literal(domain);
        if (!literal) co_return dns_error(DnsStatus::kPermanent, "bad address literal " + domain);
        result.domain = domain;
        result.address_literal = true;
        result.hosts.push_back(MxHost{literal->ip, 0, {*literal}, DnsStatus::kOk, {}});
        co_return result;
    }
    std::string name = normalize_name(domain);
    if (name.empty()) co_return dns_error(DnsStatus::kPermanent, "empty domain");
    std::shared_ptr<Flight> mx_flight = start(name, kTypeMx);
    FlightAwaiter wait_mx{mx_flight};
    RecordSet mx = co_await wait_mx;
    Result<MxPlan> plan = plan_mx(name, mx, rng_, options_.max_mx_hosts);
    if (!plan) co_return plan.error();
    result.domain = name;
    result.implicit_mx = plan->implicit;

    // Every host's AAAA and A queries go out before waiting for any.
    struct HostFlights {
        std::shared_ptr<Flight> v6, v4;
    };
    std::vector<HostFlights> flights;
    flights.reserve(plan->targets.size());
    for (const MxRecord& t : plan->targets) flights.push_back(HostFlights{start(t.host, kTypeAaaa), start(t.host, kTypeA)});
    for (size_t i = 0; i < flights.size(); ++i) {
        const MxRecord& target = plan->targets[i];
        FlightAwaiter wait6{flights[i].v6};
        RecordSet aaaa = co_await wait6;
        FlightAwaiter wait4{flights[i].v4};
        RecordSet a = co_await wait4;
        MxHost host{target.host, target.preference, {}, DnsStatus::kOk, {}};
        auto addresses = combine_addresses(target.host, aaaa, a);
        if (addresses) {
            host.addresses = std::move(addresses.value());
        } else {
            host.status = status_of(addresses.error());
            host.error = addresses.error().message;
        }
        result.hosts.push_back(std::move(host));
    }
    co_return finish_mx(std::move(result));
}

}  // namespace ringpost::dns
