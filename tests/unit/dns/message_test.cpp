// Reply interpretation without a network: TTLs from the answer section
// (CNAMEs included), the SOA minimum for negative answers (RFC 2308), the
// outcome and message per c-ares status, the cache TTL per outcome, and the
// DNS server list syntax.
#include <ares.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "dns/ares_driver.hpp"
#include "dns/dns_message.hpp"
#include "dns/reply.hpp"
#include "dns_packet.hpp"

using namespace ringpost::dns;
using namespace ringpost::dns::test;
using namespace std::chrono_literals;

TEST(InspectMessage, MinimumTtlOverAllAnswersIncludingCname) {
    Bytes m = make_reply(1, 0, "www.test", kTypeA,
                         {{"www.test", 5, 50, rdata_name("host.test")},
                          {"host.test", kTypeA, 300, rdata_a("192.0.2.1")},
                          {"host.test", kTypeA, 100, rdata_a("192.0.2.2")}});
    MessageInfo info = inspect_message(m.data(), m.size());
    EXPECT_TRUE(info.valid);
    EXPECT_EQ(info.rcode, 0);
    EXPECT_EQ(info.answer_count, 3);
    EXPECT_EQ(info.min_answer_ttl, 50u);
    EXPECT_FALSE(info.negative_ttl.has_value());
}

TEST(InspectMessage, NegativeTtlIsMinOfSoaTtlAndMinimum) {
    Bytes m = make_reply(1, 3, "x.test", kTypeMx, {}, {{"test", 6, 3600, rdata_soa(60)}});
    MessageInfo info = inspect_message(m.data(), m.size());
    EXPECT_TRUE(info.valid);
    EXPECT_EQ(info.rcode, 3);
    EXPECT_EQ(info.negative_ttl, 60u);
    Bytes m2 = make_reply(1, 3, "x.test", kTypeMx, {}, {{"test", 6, 30, rdata_soa(900)}});
    EXPECT_EQ(inspect_message(m2.data(), m2.size()).negative_ttl, 30u);
}

TEST(InspectMessage, TruncatedMessageIsInvalid) {
    Bytes m = make_reply(1, 0, "host.test", kTypeA, {{"host.test", kTypeA, 300, rdata_a("192.0.2.1")}});
    for (size_t cut : {size_t{5}, size_t{20}, m.size() - 1}) {
        EXPECT_FALSE(inspect_message(m.data(), cut).valid) << cut;
    }
    EXPECT_FALSE(inspect_message(nullptr, 0).valid);
}

TEST(InterpretReply, MxAnswerWithMinTtl) {
    Bytes m = make_reply(1, 0, "d.test", kTypeMx,
                         {{"d.test", kTypeMx, 600, rdata_mx(10, "MX1.d.test")},
                          {"d.test", kTypeMx, 120, rdata_mx(20, "mx2.d.test")}});
    ResolverOptions opts;
    Interpreted r = interpret_reply(ARES_SUCCESS, "d.test", kTypeMx, m.data(), static_cast<int>(m.size()), opts);
    EXPECT_EQ(r.records.outcome, Outcome::kAnswer);
    ASSERT_EQ(r.records.mx.size(), 2u);
    EXPECT_EQ(r.records.mx[0], (MxRecord{"mx1.d.test", 10}));
    EXPECT_EQ(r.records.mx[1], (MxRecord{"mx2.d.test", 20}));
    EXPECT_EQ(r.ttl, 120s);
}

TEST(InterpretReply, NullMxTargetIsTheEmptyName) {
    Bytes m = make_reply(1, 0, "d.test", kTypeMx, {{"d.test", kTypeMx, 600, rdata_mx(0, "")}});
    Interpreted r = interpret_reply(ARES_SUCCESS, "d.test", kTypeMx, m.data(), static_cast<int>(m.size()), {});
    EXPECT_EQ(r.records.outcome, Outcome::kAnswer);
    ASSERT_EQ(r.records.mx.size(), 1u);
    EXPECT_EQ(r.records.mx[0], (MxRecord{"", 0}));
}

TEST(InterpretReply, AddressesWithTtlsClampedToMax) {
    Bytes m = make_reply(1, 0, "h.test", kTypeAaaa, {{"h.test", kTypeAaaa, 999999, rdata_aaaa("2001:db8::5")}});
    ResolverOptions opts;
    opts.max_ttl = 3600s;
    Interpreted r = interpret_reply(ARES_SUCCESS, "h.test", kTypeAaaa, m.data(), static_cast<int>(m.size()), opts);
    EXPECT_EQ(r.records.outcome, Outcome::kAnswer);
    ASSERT_EQ(r.records.addresses.size(), 1u);
    EXPECT_EQ(r.records.addresses[0], (Address{"2001:db8::5", AF_INET6}));
    EXPECT_EQ(r.ttl, 3600s);
}

TEST(InterpretReply, NxDomainUsesSoaMinimumElseDefault) {
    ResolverOptions opts;
    opts.negative_ttl = 300s;
    Bytes with_soa = make_reply(1, 3, "x.test", kTypeMx, {}, {{"test", 6, 3600, rdata_soa(60)}});
    Interpreted a = interpret_reply(ARES_ENOTFOUND, "x.test", kTypeMx, with_soa.data(),
                                    static_cast<int>(with_soa.size()), opts);
    EXPECT_EQ(a.records.outcome, Outcome::kNxDomain);
    EXPECT_EQ(a.records.error, "NXDOMAIN for x.test");
    EXPECT_EQ(a.ttl, 60s);
    Bytes bare = make_reply(1, 3, "x.test", kTypeMx, {});
    Interpreted b = interpret_reply(ARES_ENOTFOUND, "x.test", kTypeMx, bare.data(), static_cast<int>(bare.size()), opts);
    EXPECT_EQ(b.ttl, 300s);
    Interpreted c = interpret_reply(ARES_ENODATA, "x.test", kTypeMx, bare.data(), static_cast<int>(bare.size()), opts);
    EXPECT_EQ(c.records.outcome, Outcome::kNoData);
    EXPECT_EQ(c.ttl, 300s);
}

TEST(InterpretReply, TemporaryFailuresAndTheirMessages) {
    ResolverOptions opts;
    opts.temporary_failure_ttl = 30s;
    struct Case {
        int status;
        const char* message;
    };
    for (Case c : {Case{ARES_ETIMEOUT, "DNS timeout for d.test (MX)"}, Case{ARES_ESERVFAIL, "SERVFAIL for d.test (MX)"},
                   Case{ARES_EREFUSED, "DNS query refused (REFUSED) for d.test (MX)"},
                   Case{ARES_ECONNREFUSED, "DNS server refused the connection for d.test (MX)"}}) {
        Interpreted r = interpret_reply(c.status, "d.test", kTypeMx, nullptr, 0, opts);
        EXPECT_EQ(r.records.outcome, Outcome::kTemporary);
        EXPECT_EQ(r.records.error, c.message);
        EXPECT_EQ(r.ttl, 30s);
    }
    Interpreted gone = interpret_reply(ARES_EDESTRUCTION, "d.test", kTypeMx, nullptr, 0, opts);
    EXPECT_EQ(gone.records.outcome, Outcome::kTemporary);
    EXPECT_EQ(gone.ttl, 0s);  // never cached
}

TEST(InterpretReply, MalformedAnswerIsTemporary) {
    Bytes m = make_reply(1, 0, "h.test", kTypeA, {{"h.test", kTypeA, 60, rdata_a("192.0.2.1")}});
    Interpreted r = interpret_reply(ARES_SUCCESS, "h.test", kTypeA, m.data(), static_cast<int>(m.size()) - 3, {});
    EXPECT_EQ(r.records.outcome, Outcome::kTemporary);
    EXPECT_NE(r.records.error.find("malformed DNS reply for h.test"), std::string::npos);
}

TEST(ServersCsv, AcceptsTheDocumentedForms) {
    auto r = servers_csv({"127.0.0.1:5353", "[::1]:53", "::1", "192.0.2.1", "[2001:db8::1]"});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value(), "127.0.0.1:5353,[::1]:53,[::1]:53,192.0.2.1:53,[2001:db8::1]:53");
}

TEST(ServersCsv, RejectsBadEntriesByName) {
    for (const char* bad : {"localhost", "127.0.0.1:0", "127.0.0.1:99999", "[::1", "[::1]x", "1.2.3:53", "", "[x]:53"}) {
        auto r = servers_csv({bad});
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_NE(r.error().message.find(std::string("\"") + bad + "\""), std::string::npos) << bad;
    }
}

// --- issue 10, item 4: only NXDOMAIN (and NODATA, null MX) are permanent ---

TEST(InterpretReply, CnameLoopIsTemporary) {
    // A server that hands back a looping chain instead of SERVFAIL.
    for (uint16_t type : {kTypeA, kTypeAaaa, kTypeMx}) {
        Bytes m = make_reply(1, 0, "loop1.test", type,
                             {{"loop1.test", 5, 60, rdata_name("loop2.test")},
                              {"loop2.test", 5, 60, rdata_name("LOOP1.test")}});
        Interpreted r = interpret_reply(ARES_SUCCESS, "loop1.test", type, m.data(), static_cast<int>(m.size()), {});
        EXPECT_EQ(r.records.outcome, Outcome::kTemporary) << type_name(type);
        EXPECT_EQ(r.records.error, "CNAME loop for loop1.test (" + std::string(type_name(type)) + ")");
        EXPECT_EQ(r.ttl, ResolverOptions{}.temporary_failure_ttl);
    }
}

TEST(InterpretReply, CnameChainTooLongIsTemporary) {
    std::vector<Rr> chain;
    for (int i = 0; i < 20; ++i)
        chain.push_back({"c" + std::to_string(i) + ".test", 5, 60, rdata_name("c" + std::to_string(i + 1) + ".test")});
    Bytes m = make_reply(1, 0, "c0.test", kTypeA, chain);
    Interpreted r = interpret_reply(ARES_SUCCESS, "c0.test", kTypeA, m.data(), static_cast<int>(m.size()), {});
    EXPECT_EQ(r.records.outcome, Outcome::kTemporary);
    EXPECT_EQ(r.records.error, "CNAME chain too long for c0.test (A)");
}

TEST(InterpretReply, CnameToANameWithoutRecordsStaysNoData) {
    // The chain ends at a name that exists without A records: an
    // authoritative negative answer (RFC 2308 2.2), not a failure to retry.
    Bytes m = make_reply(1, 0, "www.test", kTypeA, {{"www.test", 5, 60, rdata_name("txtonly.test")}},
                         {{"test", 6, 3600, rdata_soa(120)}});
    Interpreted r = interpret_reply(ARES_SUCCESS, "www.test", kTypeA, m.data(), static_cast<int>(m.size()), {});
    EXPECT_EQ(r.records.outcome, Outcome::kNoData);
    EXPECT_EQ(r.ttl, 120s);
}

TEST(InterpretReply, CnameChainToAnAnswerIsAnAnswer) {
    Bytes m = make_reply(1, 0, "a.test", kTypeA,
                         {{"a.test", 5, 60, rdata_name("b.test")},
                          {"b.test", 5, 60, rdata_name("c.test")},
                          {"c.test", kTypeA, 60, rdata_a("192.0.2.7")}});
    Interpreted r = interpret_reply(ARES_SUCCESS, "a.test", kTypeA, m.data(), static_cast<int>(m.size()), {});
    ASSERT_EQ(r.records.outcome, Outcome::kAnswer);
    EXPECT_EQ(r.records.addresses.at(0).ip, "192.0.2.7");
}

TEST(InterpretReply, BadNameIsTemporary) {
    // c-ares refuses to build the query (a label over 63 octets, a name over
    // 255): not NXDOMAIN, so not a reason to bounce.
    const std::string name = std::string(70, 'x') + ".test";
    Interpreted r = interpret_reply(ARES_EBADNAME, name, kTypeMx, nullptr, 0, {});
    EXPECT_EQ(r.records.outcome, Outcome::kTemporary);
    EXPECT_EQ(r.records.error, "invalid domain name " + name);
    EXPECT_EQ(r.ttl, ResolverOptions{}.temporary_failure_ttl);
}

TEST(InspectMessage, CollectsCnamesWithCompressedNames) {
    // Owner and target as compression pointers into the question.
    Bytes m = make_reply(1, 0, "www.example.test", kTypeA, {});
    m[7] = 1;   // ANCOUNT = 1
    const Bytes rr = {0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 3, 'c', 'd', 'n', 0xC0, 16};
    m.insert(m.end(), rr.begin(), rr.end());
    MessageInfo info = inspect_message(m.data(), m.size());
    ASSERT_TRUE(info.valid);
    ASSERT_EQ(info.cnames.size(), 1u);
    EXPECT_EQ(info.cnames[0].first, "www.example.test");
    EXPECT_EQ(info.cnames[0].second, "cdn.example.test");
}

TEST(InspectMessage, NameOver255OctetsIsInvalid) {
    // RFC 1035 3.1: a name is at most 255 octets. Five 63-octet labels
    // (321 octets) as a CNAME owner make the message malformed.
    std::string long_name;
    for (int i = 0; i < 5; ++i) long_name += std::string(63, 'a' + i) + ".";
    long_name += "test";
    Bytes m = make_reply(1, 0, "www.test", kTypeA, {{long_name, 5, 60, rdata_name("host.test")}});
    EXPECT_FALSE(inspect_message(m.data(), m.size()).valid);
}

TEST(InspectMessage, CompressionPointersCannotBuildANameOver255Octets) {
    // Each CNAME's target is a 63-octet label and a pointer to the previous
    // target: every name is short on the wire, but the fifth one expands to
    // 5 * 64 + 6 octets. Followed without a limit, a 64 KB reply could
    // expand to megabytes of names (found by tests/fuzz dns_reply).
    Bytes m = make_reply(1, 0, "www.test", kTypeA, {});
    size_t previous = 12;   // the question name "www.test"
    const int kLinks = 5;
    m[7] = kLinks;   // ANCOUNT
    for (int i = 0; i < kLinks; ++i) {
        Bytes rr = {0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 66};
        size_t target = m.size() + rr.size();
        rr.push_back(63);
        rr.insert(rr.end(), 63, static_cast<uint8_t>('a' + i));
        rr.push_back(static_cast<uint8_t>(0xC0 | previous >> 8));
        rr.push_back(static_cast<uint8_t>(previous & 0xFF));
        m.insert(m.end(), rr.begin(), rr.end());
        previous = target;
    }
    MessageInfo info = inspect_message(m.data(), m.size());
    EXPECT_FALSE(info.valid);
    for (const auto& [owner, target] : info.cnames) EXPECT_LE(target.size(), 253u);
}
