// The resolver against a real DNS server: dnsmasq on a free 127.0.0.1 port,
// started once for the suite (skipped, with the reason, only when dnsmasq
// is missing or does not start). Covers MX order and addresses, shuffled
// equal preferences, implicit MX, null MX, NXDOMAIN, NODATA, hosts without
// addresses, REFUSED, address literals, caching, coalescing, and an answer
// large enough to be truncated over UDP and fetched again over TCP.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <set>

#include "dns/resolver.hpp"
#include "dns/reverse.hpp"
#include "ring_helpers.hpp"
#include "test_servers.hpp"

using namespace ringpost;
using namespace ringpost::dns;
using namespace ringpost::dns::test;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> zone() {
    std::vector<std::string> a = {
        "--local-ttl=60",
        "--mx-host=example.test,mx1.example.test,10",
        "--mx-host=example.test,mx2.example.test,20",
        "--mx-host=example.test,mx3.example.test,20",
        "--host-record=mx1.example.test,192.0.2.10,2001:db8::10",
        "--host-record=mx2.example.test,192.0.2.20",
        "--host-record=mx3.example.test,2001:db8::30",
        "--host-record=host.test,192.0.2.1",
        "--mx-host=nullmx.test,.,0",
        "--host-record=nullmx.test,192.0.2.99",
        "--mx-host=partial.test,missing.partial.test,10",
        "--mx-host=partial.test,mx1.example.test,20",
        "--mx-host=dangling.test,nowhere.test,10",
        "--txt-record=nodata.test,only text here",
        "--txt-record=txt.test,v=spf1 ip4:192.0.2.0/24 ,-all",
        "--txt-record=txt.test,second record",
        "--ptr-record=1.2.0.192.in-addr.arpa,host.test",
        "--ptr-record=1.2.0.192.in-addr.arpa,Other.Host.Test.",
        "--mx-host=big.test,mx1.example.test,0",
    };
    for (int i = 1; i <= 60; ++i)
        a.push_back("--mx-host=big.test,mx" + std::to_string(i) + "-with-a-long-label-to-make-the-answer-big.big.test," +
                    std::to_string(i));
    return a;
}

std::vector<std::string> names(const MxResult& r) {
    std::vector<std::string> out;
    for (const auto& h : r.hosts) out.push_back(h.name);
    return out;
}

io::Task<void> lookup_host(Resolver& r, std::string name, std::optional<Result<std::vector<Address>>>& out, int& done) {
    out.emplace(co_await r.resolve_host(std::move(name)));
    ++done;
}

}  // namespace

class LiveDns : public DnsmasqSuite<zone> {
protected:
    void SetUp() override {
        DnsmasqSuite::SetUp();
        if (IsSkipped()) return;
        ring_.bind_thread();
    }
    std::unique_ptr<Resolver> make(ResolverOptions o = {}) {
        o.servers = {server_address()};
        o.timeout = 500ms;
        o.tries = 2;
        auto r = Resolver::create(ring_, std::move(o));
        EXPECT_TRUE(r.ok()) << r.error().message;
        return r.ok() ? std::move(r.value()) : nullptr;
    }

    io::Ring ring_{256};
};

TEST_F(LiveDns, MxHostsInPreferenceOrderWithTheirAddresses) {
    auto r = make();
    auto body = [&]() -> io::Task<void> {
        auto mx = co_await r->resolve_mx("Example.Test.");
        EXPECT_TRUE(mx.ok()) << mx.error().message;
        if (mx.ok()) {
            EXPECT_EQ(mx->domain, "example.test");
            EXPECT_FALSE(mx->implicit_mx);
            EXPECT_FALSE(mx->partial);
            EXPECT_EQ(mx->hosts.size(), 3u);
            if (mx->hosts.size() == 3) {
                EXPECT_EQ(mx->hosts[0].name, "mx1.example.test");
                EXPECT_EQ(mx->hosts[0].preference, 10);
                EXPECT_EQ(mx->hosts[0].addresses,
                          (std::vector<Address>{{"2001:db8::10", AF_INET6}, {"192.0.2.10", AF_INET}}));
                std::set<std::string> rest{mx->hosts[1].name, mx->hosts[2].name};
                EXPECT_EQ(rest, (std::set<std::string>{"mx2.example.test", "mx3.example.test"}));
                for (size_t i = 1; i < 3; ++i) {
                    EXPECT_EQ(mx->hosts[i].preference, 20);
                    if (mx->hosts[i].name == "mx2.example.test")
                        EXPECT_EQ(mx->hosts[i].addresses, (std::vector<Address>{{"192.0.2.20", AF_INET}}));
                    else
                        EXPECT_EQ(mx->hosts[i].addresses, (std::vector<Address>{{"2001:db8::30", AF_INET6}}));
                }
            }
        }
        co_await r->shutdown();
    };
    run_on(ring_, body);
    EXPECT_EQ(r->operations_in_flight(), 0u);
}

TEST_F(LiveDns, EqualPreferencesComeInBothOrders) {
    auto r = make();
    std::set<std::vector<std::string>> orders;
    auto body = [&]() -> io::Task<void> {
        for (int i = 0; i < 40; ++i) {
            auto mx = co_await r->resolve_mx("example.test");
            if (mx.ok()) orders.insert(names(*mx));
        }
        co_await r->shutdown();
    };
    run_on(ring_, body);
    EXPECT_EQ(orders, (std::set<std::vector<std::string>>{
                          {"mx1.example.test", "mx2.example.test", "mx3.example.test"},
                          {"mx1.example.test", "mx3.example.test", "mx2.example.test"}}));
}

TEST_F(LiveDns, NoMxRecordsMeansImplicitMx) {
    auto r = make();
    auto body = [&]() -> io::Task<void> {
        auto mx = co_await r->resolve_mx("host.test");
        EXPECT_TRUE(mx.ok()) << mx.error().message;
        if (mx.ok()) {
            EXPECT_TRUE(mx->implicit_mx);
            EXPECT_EQ(mx->hosts.size(), 1u);
            EXPECT_EQ(mx->hosts.at(0).name, "host.test");
            EXPECT_EQ(mx->hosts.at(0).preference, 0);
            EXPECT_EQ(mx->hosts.at(0).addresses, (std::vector<Address>{{"192.0.2.1", AF_INET}}));
        }
        co_await r->shutdown();
    };
    run_on(ring_, body);
}

TEST_F(LiveDns, NullMxIsAPermanentFailure) {
    auto r = make();
    auto body = [&]() -> io::Task<void> {
        auto mx = co_await r->resolve_mx("nullmx.test");
        EXPECT_FALSE(mx.ok());
        if (!mx.ok()) {
            EXPECT_EQ(status_of(mx.error()), DnsStatus::kPermanent);
            EXPECT_EQ(mx.error().message, "domain nullmx.test has a null MX (RFC 7505)");
        }
        co_await r->shutdown();
    };
    run_on(ring_, body);
}

TEST_F(LiveDns, NxDomainIsAPermanentFailure) {
    auto r = make();
    auto body = [&]() -> io::Task<void> {
        auto mx = co_await r->resolve_mx("nx.test");
        EXPECT_FALSE(mx.ok());
        if (!mx.ok()) {
            EXPECT_EQ(status_of(mx.error()), DnsStatus::kPermanent);
            EXPECT_EQ(mx.error().message, "NXDOMAIN for nx.test");
        }
        auto host = co_await r->resolve_host("nx2.test");
        EXPECT_FALSE(host.ok());
        if (!host.ok()) {
            EXPECT_EQ(status_of(host.error()), DnsStatus::kPermanent);
            EXPECT_EQ(host.error().message, "NXDOMAIN for nx2.test");
        }
        co_await r->shutdown();
    };
    run_on(ring_, body);
}

TEST_F(LiveDns, NameWithoutMxOrAddressesIsPermanent) {
    auto r = make();
    auto body = [&]() -> io::Task<void> {
        auto mx = co_await r->resolve_mx("nodata.test");
        EXPECT_FALSE(mx.ok());
        if (!mx.ok()) {
            EXPECT_EQ(status_of(mx.error()), DnsStatus::kPermanent);
            EXPECT_EQ(mx.error().message, "domain nodata.test has no MX, A or AAAA records");
        }
        co_await r->shutdown();
    };
    run_on(ring_, body);
}

TEST_F(LiveDns, MxHostsWithoutAddresses) {
    auto r = make();
    auto body = [&]() -> io::Task<void> {
        auto partial = co_await r->resolve_mx("partial.test");
        EXPECT_TRUE(partial.ok()) << partial.error().message;
        if (partial.ok()) {
            EXPECT_TRUE(partial->partial);
            EXPECT_EQ(names(*partial), (std::vector<std::string>{"missing.partial.test", "mx1.example.test"}));
            EXPECT_TRUE(partial->hosts.at(0).addresses.empty());
            EXPECT_EQ(partial->hosts.at(0).status, DnsStatus::kPermanent);
            EXPECT_EQ(partial->hosts.at(0).error, "NXDOMAIN for missing.partial.test");
            EXPECT_EQ(partial->hosts.at(1).addresses.size(), 2u);
        }
        auto dangling = co_await r->resolve_mx("dangling.test");
        EXPECT_FALSE(dangling.ok());
        if (!dangling.ok()) {
            EXPECT_EQ(status_of(dangling.error()), DnsStatus::kPermanent);
            EXPECT_EQ(dangling.error().message,
                      "no MX host of dangling.test has an address (nowhere.test: NXDOMAIN for nowhere.test)");
        }
        co_await r->shutdown();
    };
    run_on(ring_, body);
}

TEST_F(LiveDns, RefusedQueryIsTemporary) {
    auto r = make();
    auto body = [&]() -> io::Task<void> {
        // dnsmasq answers REFUSED outside its local zone (no upstream servers).
        auto mx = co_await r->resolve_mx("example.com");
        EXPECT_FALSE(mx.ok());
        if (!mx.ok()) {
            EXPECT_EQ(status_of(mx.error()), DnsStatus::kTemporary);
            EXPECT_EQ(mx.error().message, "DNS query refused (REFUSED) for example.com (MX)");
        }
        co_await r->shutdown();
    };
    run_on(ring_, body);
}

TEST_F(LiveDns, ResolveHostReturnsBothFamiliesAndLiteralsDirectly) {
    auto r = make();
    auto body = [&]() -> io::Task<void> {
        auto lit4 = co_await r->resolve_host("[192.0.2.77]");
        auto lit6 = co_await r->resolve_host("[IPv6:2001:db8::77]");
        auto mx_lit = co_await r->resolve_mx("[192.0.2.78]");
        EXPECT_EQ(r->queries_sent(), 0u);
        EXPECT_TRUE(lit4.ok() && lit6.ok() && mx_lit.ok());
        if (lit4.ok()) {
            EXPECT_EQ(*lit4, (std::vector<Address>{{"192.0.2.77", AF_INET}}));
        }
        if (lit6.ok()) {
            EXPECT_EQ(*lit6, (std::vector<Address>{{"2001:db8::77", AF_INET6}}));
        }
        if (mx_lit.ok()) {
            EXPECT_TRUE(mx_lit->address_literal);
            EXPECT_EQ(mx_lit->hosts.at(0).addresses, (std::vector<Address>{{"192.0.2.78", AF_INET}}));
        }
        auto both = co_await r->resolve_host("mx1.example.test");
        EXPECT_TRUE(both.ok());
        if (both.ok()) {
            EXPECT_EQ(*both, (std::vector<Address>{{"2001:db8::10", AF_INET6}, {"192.0.2.10", AF_INET}}));
        }
        EXPECT_EQ(r->queries_sent(), 2u);  // AAAA and A
        co_await r->shutdown();
    };
    run_on(ring_, body);
}

TEST_F(LiveDns, TxtRecordsJoinTheirStringsAndPtrListsEveryName) {
    auto r = make();
    auto body = [&]() -> io::Task<void> {
        RecordSet txt = co_await r->lookup("TXT.test", kTypeTxt);
        EXPECT_EQ(txt.outcome, Outcome::kAnswer) << txt.error;
        std::multiset<std::string> texts(txt.texts.begin(), txt.texts.end());
        EXPECT_EQ(texts, (std::multiset<std::string>{"v=spf1 ip4:192.0.2.0/24 -all", "second record"}));
        RecordSet ptr = co_await r->lookup(*ptr_name("192.0.2.1"), kTypePtr);
        EXPECT_EQ(ptr.outcome, Outcome::kAnswer) << ptr.error;
        std::set<std::string> names(ptr.names.begin(), ptr.names.end());
        EXPECT_EQ(names, (std::set<std::string>{"host.test", "other.host.test"}));
        // A name without TXT records, and one that does not exist, are told apart
        // (SPF counts both as void lookups, a DKIM key fetch fails differently).
        RecordSet nodata = co_await r->lookup("host.test", kTypeTxt);
        EXPECT_EQ(nodata.outcome, Outcome::kNoData);
        RecordSet nx = co_await r->lookup("missing.test", kTypeTxt);
        EXPECT_EQ(nx.outcome, Outcome::kNxDomain);
        RecordSet a = co_await r->lookup("mx1.example.test", kTypeA);
        EXPECT_EQ(a.addresses, (std::vector<Address>{{"192.0.2.10", AF_INET}}));
        uint64_t sent = r->queries_sent();
        RecordSet again = co_await r->lookup("txt.test.", kTypeTxt);
        EXPECT_EQ(again.texts, txt.texts);
        EXPECT_EQ(r->queries_sent(), sent);  // cached
        co_await r->shutdown();
    };
    run_on(ring_, body);
}

TEST_F(LiveDns, RepeatedLookupsAreAnsweredFromTheCache) {
    auto r = make();
    auto body = [&]() -> io::Task<void> {
        auto first = co_await r->resolve_mx("example.test");
        EXPECT_TRUE(first.ok());
        uint64_t sent = r->queries_sent();
        EXPECT_EQ(sent, 7u);  // MX + 3 hosts x (AAAA, A)
        auto again = co_await r->resolve_mx("example.test");
        auto host = co_await r->resolve_host("mx2.example.test");
        auto nx1 = co_await r->resolve_mx("nx.test");
        auto nx2 = co_await r->resolve_mx("nx.test");  // negative answer cached too
        EXPECT_TRUE(again.ok() && host.ok());
        EXPECT_FALSE(nx1.ok() || nx2.ok());
        EXPECT_EQ(r->queries_sent(), sent + 1);
        co_await r->shutdown();
    };
    run_on(ring_, body);
}

TEST_F(LiveDns, ConcurrentLookupsOfOneNameShareTheQueries) {
    auto r = make();
    std::optional<Result<std::vector<Address>>> a, b, c;
    auto body = [&]() -> io::Task<void> {
        int done = 0;
        io::spawn(lookup_host(*r, "mx1.example.test", a, done));
        io::spawn(lookup_host(*r, "MX1.example.test.", b, done));
        io::spawn(lookup_host(*r, "mx1.example.test", c, done));
        while (done < 3) co_await io::sleep_for(1ms);
        co_await r->shutdown();
    };
    run_on(ring_, body);
    EXPECT_EQ(r->queries_sent(), 2u);
    ASSERT_TRUE(a && b && c);
    ASSERT_TRUE(a->ok() && b->ok() && c->ok());
    EXPECT_EQ(a->value().size(), 2u);
    EXPECT_EQ(a->value(), b->value());
    EXPECT_EQ(a->value(), c->value());
}

TEST_F(LiveDns, LargeMxAnswerIsFetchedOverTcp) {
    ResolverOptions o;
    o.max_mx_hosts = 100;
    auto r = make(o);
    auto body = [&]() -> io::Task<void> {
        auto mx = co_await r->resolve_mx("big.test");
        EXPECT_TRUE(mx.ok()) << mx.error().message;
        if (mx.ok()) {
            EXPECT_EQ(mx->hosts.size(), 61u);
            EXPECT_EQ(mx->hosts.at(0).name, "mx1.example.test");
            EXPECT_EQ(mx->hosts.at(1).name, "mx1-with-a-long-label-to-make-the-answer-big.big.test");
            EXPECT_EQ(mx->hosts.back().preference, 60);
            EXPECT_TRUE(mx->partial);
        }
        co_await r->shutdown();
    };
    run_on(ring_, body);
}
