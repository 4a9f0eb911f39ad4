// The verifier's key fetch over the real resolver: dnsmasq serves an
// RSA-2048 key record split into strings of at most 255 bytes (RFC 1035
// 3.3.14; the resolver joins them), and a message signed by ringpost passes;
// a selector without a record is permerror. Skipped, with the reason, when
// dnsmasq is missing.
#include <gtest/gtest.h>

#include "dkim/signer.hpp"
#include "dkim/verifier.hpp"
#include "dns/resolver.hpp"
#include "ring_helpers.hpp"
#include "test_servers.hpp"

namespace ringpost::dkim {
namespace {

TEST(DkimLiveKey, KeyFromDnsmasqInSeveralStrings) {
    auto key = SigningKey::generate(Algorithm::kRsaSha256, 2048).value();
    const std::string record = key.dns_record().value();
    ASSERT_GT(record.size(), 255u);
    std::string arg = "--txt-record=sel._domainkey.example.test";
    for (size_t pos = 0; pos < record.size(); pos += 255) arg += "," + record.substr(pos, 255);
    std::string why;
    auto server = dns::test::Dnsmasq::start({arg}, why);
    if (!server) GTEST_SKIP() << why;

    const std::string body = "From: a@example.test\r\nSubject: live\r\n\r\nHello\r\n";
    SignatureSpec specs[2];
    specs[0].domain = specs[1].domain = "example.test";
    specs[0].selector = "sel";
    specs[1].selector = "gone";
    specs[0].key = specs[1].key = &key;
    const int64_t now = 1796000000;
    const std::string message = sign(body, specs, now).value() + body;

    io::Ring ring{64};
    ring.bind_thread();
    dns::ResolverOptions options;
    options.servers = {"127.0.0.1:" + std::to_string(server->port())};
    auto resolver = dns::Resolver::create(ring, options).value();
    std::vector<Verification> results;
    auto run = [&]() -> io::Task<void> {
        results = co_await Verifier().verify(message, *resolver, now);
        co_await resolver->shutdown();
    };
    dns::test::run_on(ring, run);
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].result, DkimResult::kPass) << results[0].reason;
    EXPECT_EQ(results[1].result, DkimResult::kPermerror);
    EXPECT_EQ(results[1].reason, "no key record at gone._domainkey.example.test");
}

}  // namespace
}  // namespace ringpost::dkim
