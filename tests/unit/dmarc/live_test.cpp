// DMARC discovery and evaluation against a real DNS server: dnsmasq on a
// free 127.0.0.1 port serving _dmarc TXT records, asked through the
// resolver (a dns::Lookup), as the worker threads will. Skipped, with the
// reason, only when dnsmasq is missing or does not start.
#include <gtest/gtest.h>

#include "dmarc/evaluate.hpp"
#include "dns/resolver.hpp"
#include "ring_helpers.hpp"
#include "test_servers.hpp"

using namespace ringpost;
using namespace ringpost::dmarc;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> dmarc_zone() {
    return {
        "--txt-record=_dmarc.example.test,v=DMARC1; p=reject; sp=quarantine; np=reject; rua=mailto:d@example.test",
        "--txt-record=_dmarc.split.test,v=DMARC1; ,p=quarantine",   // one record of two strings
        "--txt-record=_dmarc.twice.test,v=DMARC1; p=none",
        "--txt-record=_dmarc.twice.test,v=DMARC1; p=reject",
        "--host-record=www.example.test,192.0.2.1",
    };
}

}  // namespace

class DmarcLiveDns : public dns::test::DnsmasqSuite<dmarc_zone> {
protected:
    void SetUp() override {
        DnsmasqSuite::SetUp();
        if (IsSkipped()) return;
        ring_.bind_thread();
        dns::ResolverOptions o;
        o.servers = {server_address()};
        o.timeout = 500ms;
        auto r = dns::Resolver::create(ring_, std::move(o));
        ASSERT_TRUE(r.ok()) << r.error().message;
        resolver_ = std::move(r.value());
    }
    // Evaluates a message whose SPF and DKIM both failed.
    io::Task<Verdict> failing(dns::Lookup& lookup, std::string from) {
        Inputs in;
        in.author = author_of_domain(from);
        Verdict v = co_await evaluate(lookup, PublicSuffixList::system(), std::move(in), [] { return 0; });
        co_return v;
    }

    io::Ring ring_{256};
    std::unique_ptr<dns::Resolver> resolver_;
};


TEST_F(DmarcLiveDns, PoliciesFoundThroughTheResolver) {
    dns::Lookup& lookup = *resolver_;
    auto body = [&]() -> io::Task<void> {
        Verdict own = co_await failing(lookup, "example.test");
        EXPECT_EQ(own.status, Status::kFail) << own.reason;
        EXPECT_EQ(own.requested, Policy::kReject);
        EXPECT_EQ(own.record.value_or(Record{}).rua, (std::vector<std::string>{"mailto:d@example.test"}));
        // An existing subdomain falls back to the organizational record: sp=.
        Verdict sub = co_await failing(lookup, "www.example.test");
        EXPECT_TRUE(sub.organizational);
        EXPECT_EQ(sub.requested, Policy::kQuarantine);
        // One that does not exist (NXDOMAIN from dnsmasq): np=.
        Verdict ghost = co_await failing(lookup, "ghost.example.test");
        EXPECT_TRUE(ghost.nonexistent);
        EXPECT_EQ(ghost.requested, Policy::kReject);
        Verdict split = co_await failing(lookup, "split.test");
        EXPECT_EQ(split.requested, Policy::kQuarantine) << split.reason;
        Verdict twice = co_await failing(lookup, "twice.test");
        EXPECT_EQ(twice.status, Status::kNone);
        Verdict none = co_await failing(lookup, "nothing.test");
        EXPECT_EQ(none.status, Status::kNone);
        co_await resolver_->shutdown();
    };
    dns::test::run_on(ring_, body);
}
