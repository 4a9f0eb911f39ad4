// The resolver against servers that fail: silence (timeout), a closed port
// (connection refused), SERVFAIL, all temporary; and, with a fake server
// that sets TTLs and an injected clock, cache expiry for answers, negative
// answers (SOA minimum) and temporary failures. Also shutdown with a lookup
// in flight. All servers listen on 127.0.0.1 in this process.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns/reply.hpp"
#include "dns/resolver.hpp"
#include "fake_clock.hpp"
#include "ring_helpers.hpp"
#include "test_servers.hpp"

using namespace ringpost;
using namespace ringpost::dns;
using namespace ringpost::dns::test;
using namespace std::chrono_literals;

namespace {


class FailingDns : public ::testing::Test {
protected:
    void SetUp() override { ring_.bind_thread(); }
    std::unique_ptr<Resolver> make(uint16_t port, ResolverOptions o = {}) {
        o.servers = {"127.0.0.1:" + std::to_string(port)};
        if (o.timeout == ResolverOptions{}.timeout) o.timeout = 100ms;
        o.tries = 2;
        o.clock = [this] { return clock_.now; };
        auto r = Resolver::create(ring_, std::move(o));
        EXPECT_TRUE(r.ok()) << r.error().message;
        return r.ok() ? std::move(r.value()) : nullptr;
    }
    io::Ring ring_{256};
    FakeClock clock_;
};

// A bound UDP socket that never reads: queries to it time out.
struct SilentPort {
    int fd = -1;
    uint16_t port = 0;
    SilentPort() {
        fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
        socklen_t len = sizeof sa;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
        port = ntohs(sa.sin_port);
    }
    ~SilentPort() { ::close(fd); }
};

// ttl.test: A with TTL 30; AAAA NODATA with an SOA whose minimum is 10.
// sf.test: SERVFAIL. gone.test: NXDOMAIN with SOA minimum 60.
std::optional<Bytes> fixed_zone(const Question& q) {
    if (q.name == "ttl.test" && q.type == kTypeA)
        return make_reply(q.id, 0, q.name, q.type, {{q.name, kTypeA, 30, rdata_a("192.0.2.30")}});
    if (q.name == "ttl.test")
        return make_reply(q.id, 0, q.name, q.type, {}, {{"test", 6, 3600, rdata_soa(10)}});
    if (q.name == "gone.test") return make_reply(q.id, 3, q.name, q.type, {}, {{"test", 6, 3600, rdata_soa(60)}});
    return make_reply(q.id, 2, q.name, q.type, {});  // SERVFAIL
}

}  // namespace

TEST_F(FailingDns, TimeoutIsTemporary) {
    SilentPort silent;
    auto r = make(silent.port);
    auto started = std::chrono::steady_clock::now();
    auto body = [&]() -> io::Task<void> {
        auto mx = co_await r->resolve_mx("silent.test");
        EXPECT_FALSE(mx.ok());
        if (!mx.ok()) {
            EXPECT_EQ(status_of(mx.error()), DnsStatus::kTemporary);
            EXPECT_EQ(mx.error().message, "DNS timeout for silent.test (MX)");
        }
        co_await r->shutdown();
    };
    run_on(ring_, body);
    auto elapsed = std::chrono::steady_clock::now() - started;
    EXPECT_GE(elapsed, 250ms);  // 100 ms, then 200 ms for the second try
    EXPECT_LT(elapsed, 2s);
    EXPECT_EQ(r->operations_in_flight(), 0u);
}

TEST_F(FailingDns, ConnectionRefusedIsTemporary) {
    auto r = make(free_udp_port());
    auto started = std::chrono::steady_clock::now();
    auto body = [&]() -> io::Task<void> {
        auto host = co_await r->resolve_host("refused.test");
        EXPECT_FALSE(host.ok());
        if (!host.ok()) {
            EXPECT_EQ(status_of(host.error()), DnsStatus::kTemporary);
            EXPECT_NE(host.error().message.find("refused.test"), std::string::npos);
            EXPECT_NE(host.error().message.find("DNS server refused the connection"), std::string::npos)
                << host.error().message;
        }
        co_await r->shutdown();
    };
    run_on(ring_, body);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

TEST_F(FailingDns, ServfailIsTemporaryAndCachedOnlyBriefly) {
    FakeDnsServer server(fixed_zone);
    ResolverOptions o;
    o.temporary_failure_ttl = 30s;
    auto r = make(server.port(), o);
    int after_first = 0;
    auto body = [&]() -> io::Task<void> {
        auto mx = co_await r->resolve_mx("sf.test");
        EXPECT_FALSE(mx.ok());
        if (!mx.ok()) {
            EXPECT_EQ(status_of(mx.error()), DnsStatus::kTemporary);
            EXPECT_EQ(mx.error().message, "SERVFAIL for sf.test (MX)");
        }
        after_first = server.queries();
        EXPECT_GE(after_first, 1);
        clock_.now += 29s;
        auto cached = co_await r->resolve_mx("sf.test");
        EXPECT_FALSE(cached.ok());
        EXPECT_EQ(server.queries(), after_first);
        clock_.now += 2s;
        auto retried = co_await r->resolve_mx("sf.test");
        EXPECT_FALSE(retried.ok());
        EXPECT_GT(server.queries(), after_first);
        co_await r->shutdown();
    };
    run_on(ring_, body);
}

TEST_F(FailingDns, CacheHonoursAnswerTtlAndSoaMinimum) {
    FakeDnsServer server(fixed_zone);
    auto r = make(server.port());
    auto body = [&]() -> io::Task<void> {
        auto first = co_await r->resolve_host("ttl.test");
        EXPECT_TRUE(first.ok());
        if (first.ok()) {
            EXPECT_EQ(*first, (std::vector<Address>{{"192.0.2.30", AF_INET}}));
        }
        EXPECT_EQ(r->queries_sent(), 2u);
        clock_.now += 9s;  // both cached: A for 30 s, AAAA NODATA for 10 s
        auto second = co_await r->resolve_host("ttl.test");
        EXPECT_TRUE(second.ok());
        EXPECT_EQ(r->queries_sent(), 2u);
        clock_.now += 2s;  // 11 s: the negative AAAA expired
        auto third = co_await r->resolve_host("ttl.test");
        EXPECT_TRUE(third.ok());
        EXPECT_EQ(r->queries_sent(), 3u);
        clock_.now += 20s;  // 31 s: A expired (AAAA again since 21 s)
        auto fourth = co_await r->resolve_host("ttl.test");
        EXPECT_TRUE(fourth.ok());
        EXPECT_EQ(r->queries_sent(), 5u);
        co_await r->shutdown();
    };
    run_on(ring_, body);
    EXPECT_EQ(server.queries(), 5);
}

TEST_F(FailingDns, NxDomainCachedForTheSoaMinimum) {
    FakeDnsServer server(fixed_zone);
    ResolverOptions o;
    o.negative_ttl = 300s;
    auto r = make(server.port(), o);
    auto body = [&]() -> io::Task<void> {
        auto a = co_await r->resolve_mx("gone.test");
        EXPECT_FALSE(a.ok());
        if (!a.ok()) {
            EXPECT_EQ(status_of(a.error()), DnsStatus::kPermanent);
            EXPECT_EQ(a.error().message, "NXDOMAIN for gone.test");
        }
        clock_.now += 59s;
        auto b = co_await r->resolve_mx("gone.test");
        EXPECT_FALSE(b.ok());
        EXPECT_EQ(r->queries_sent(), 1u);
        clock_.now += 2s;
        auto c = co_await r->resolve_mx("gone.test");
        EXPECT_FALSE(c.ok());
        EXPECT_EQ(r->queries_sent(), 2u);
        co_await r->shutdown();
    };
    run_on(ring_, body);
}

TEST_F(FailingDns, ShutdownFailsPendingLookupsAndDrainsTheRing) {
    SilentPort silent;
    ResolverOptions o;
    o.timeout = 5000ms;
    auto r = make(silent.port, o);
    std::optional<Result<MxResult>> pending;
    auto started = std::chrono::steady_clock::now();
    auto body = [&]() -> io::Task<void> {
        auto lookup = [](Resolver& res, std::optional<Result<MxResult>>& out) -> io::Task<void> {
            out.emplace(co_await res.resolve_mx("slow.test"));
        };
        io::spawn(lookup(*r, pending));
        co_await io::sleep_for(20ms);
        EXPECT_GT(r->operations_in_flight(), 0u);  // a poll and a timer
        co_await r->shutdown();
        EXPECT_EQ(r->operations_in_flight(), 0u);
        while (!pending) co_await io::sleep_for(1ms);
        auto after = co_await r->resolve_host("late.test");
        EXPECT_FALSE(after.ok());
        if (!after.ok()) {
            EXPECT_EQ(status_of(after.error()), DnsStatus::kTemporary);
        }
    };
    run_on(ring_, body);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
    ASSERT_TRUE(pending.has_value());
    ASSERT_FALSE(pending->ok());
    EXPECT_EQ(status_of(pending->error()), DnsStatus::kTemporary);
    EXPECT_EQ(pending->error().message, "DNS lookup cancelled (resolver shut down) for slow.test (MX)");
}

TEST_F(FailingDns, BadServerIsAConfigurationError) {
    ResolverOptions o;
    o.servers = {"dns.example:53"};
    auto r = Resolver::create(ring_, o);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("bad DNS server \"dns.example:53\""), std::string::npos);
}

TEST_F(FailingDns, DestroyingWithoutShutdownFreesInFlightOperationsLater) {
    FakeDnsServer server(fixed_zone);
    auto r = make(server.port());
    auto body = [&]() -> io::Task<void> {
        auto host = co_await r->resolve_host("ttl.test");
        EXPECT_TRUE(host.ok());
        EXPECT_GT(r->operations_in_flight(), 0u);  // the UDP socket stays watched
        r.reset();                                 // cancels; the records go with the cancellation CQEs
        co_await io::sleep_for(10ms);
    };
    run_on(ring_, body);
    EXPECT_EQ(r, nullptr);
}

// Issue 10, item 4: a server that answers with a looping CNAME chain (for
// the domain's MX query, or for an MX host's addresses) and a name c-ares
// cannot even ask for are temporary failures; only NXDOMAIN bounces.
namespace {
std::optional<Bytes> loops(const Question& q) {
    if (q.name == "loop1.test" || q.name == "loop2.test") {
        const std::string other = q.name == "loop1.test" ? "loop2.test" : "loop1.test";
        return make_reply(q.id, 0, q.name, q.type,
                          {{q.name, 5, 60, rdata_name(other)}, {other, 5, 60, rdata_name(q.name)}});
    }
    if (q.name == "viacname.test" && q.type == kTypeMx)
        return make_reply(q.id, 0, q.name, q.type, {{q.name, kTypeMx, 60, rdata_mx(10, "loop1.test")}});
    return make_reply(q.id, 3, q.name, q.type, {}, {{"test", 6, 3600, rdata_soa(60)}});   // NXDOMAIN
}
}  // namespace

TEST_F(FailingDns, CnameLoopAndBadNamesAreTemporary) {
    FakeDnsServer server(loops);
    auto r = make(server.port());
    auto body = [&]() -> io::Task<void> {
        auto domain_loop = co_await r->resolve_mx("loop1.test");
        EXPECT_FALSE(domain_loop.ok());
        if (!domain_loop.ok()) {
            EXPECT_EQ(status_of(domain_loop.error()), DnsStatus::kTemporary) << domain_loop.error().message;
            EXPECT_EQ(domain_loop.error().message, "CNAME loop for loop1.test (MX)");
        }
        auto host_loop = co_await r->resolve_mx("viacname.test");
        EXPECT_FALSE(host_loop.ok());
        if (!host_loop.ok()) {
            EXPECT_EQ(status_of(host_loop.error()), DnsStatus::kTemporary) << host_loop.error().message;
            EXPECT_NE(host_loop.error().message.find("CNAME loop for loop1.test"), std::string::npos)
                << host_loop.error().message;
        }
        auto address_loop = co_await r->resolve_host("loop2.test");
        EXPECT_FALSE(address_loop.ok());
        if (!address_loop.ok()) {
            EXPECT_EQ(status_of(address_loop.error()), DnsStatus::kTemporary);
        }

        const std::string long_label = std::string(64, 'x') + ".test";
        auto too_long = co_await r->resolve_mx(long_label);
        EXPECT_FALSE(too_long.ok());
        if (!too_long.ok()) {
            EXPECT_EQ(status_of(too_long.error()), DnsStatus::kTemporary) << too_long.error().message;
        }
        std::string long_name;
        for (int i = 0; i < 10; ++i) long_name += std::string(30, 'a' + i) + ".";
        long_name += "test";   // 314 octets in labels of 30
        auto too_long_host = co_await r->resolve_host(long_name);
        EXPECT_FALSE(too_long_host.ok());
        if (!too_long_host.ok()) {
            EXPECT_EQ(status_of(too_long_host.error()), DnsStatus::kTemporary) << too_long_host.error().message;
        }
        // The control: NXDOMAIN stays permanent.
        auto gone = co_await r->resolve_mx("gone.test");
        EXPECT_FALSE(gone.ok());
        if (!gone.ok()) {
            EXPECT_EQ(status_of(gone.error()), DnsStatus::kPermanent);
        }
        co_await r->shutdown();
    };
    run_on(ring_, body);
}
