// Connection paths (issue 10, item 1): everything that defines where and how
// a connection goes is part of the sharing key, so that a connection never
// carries mail of a destination whose port, TLS policy or certificate name
// differs.
#include <gtest/gtest.h>

#include "delivery/connection_path.hpp"

using namespace ringpost::delivery;

namespace {

Target target(std::string host, std::string ip, uint16_t port) { return Target{std::move(host), std::move(ip), port}; }

}  // namespace

TEST(ConnectionPath, SameServerSamePolicyIsOnePath) {
    // Two domains whose MX is the same server share connections.
    ConnectionPath a = path_to(target("mx.example.org", "192.0.2.1", 25), TlsPolicy::kMay);
    ConnectionPath b = path_to(target("mx.other.example", "192.0.2.1", 25), TlsPolicy::kMay);
    EXPECT_EQ(a, b);
    EXPECT_EQ(a.key(), b.key());
}

TEST(ConnectionPath, PortIsPartOfThePath) {
    ConnectionPath a = path_to(target("127.0.0.1", "127.0.0.1", 2525), TlsPolicy::kMay);
    ConnectionPath b = path_to(target("127.0.0.1", "127.0.0.1", 2526), TlsPolicy::kMay);
    EXPECT_NE(a, b);
    EXPECT_NE(a.key(), b.key());
}

TEST(ConnectionPath, TlsPolicyIsPartOfThePath) {
    const Target t = target("mx.example.org", "192.0.2.1", 25);
    const TlsPolicy all[] = {TlsPolicy::kNone, TlsPolicy::kMay, TlsPolicy::kEncrypt, TlsPolicy::kVerify};
    for (TlsPolicy p : all)
        for (TlsPolicy q : all)
            EXPECT_EQ(path_to(t, p).key() == path_to(t, q).key(), p == q)
                << tls_policy_name(p) << " vs " << tls_policy_name(q);
}

TEST(ConnectionPath, VerifyKeysTheCertificateName) {
    // One address, two names: a certificate checked for one says nothing of the other.
    ConnectionPath a = path_to(target("mx1.example.org", "192.0.2.1", 25), TlsPolicy::kVerify);
    ConnectionPath b = path_to(target("mx2.example.org", "192.0.2.1", 25), TlsPolicy::kVerify);
    EXPECT_NE(a.key(), b.key());
    // Without verification the name does not matter.
    EXPECT_EQ(path_to(target("mx1.example.org", "192.0.2.1", 25), TlsPolicy::kEncrypt).key(),
              path_to(target("mx2.example.org", "192.0.2.1", 25), TlsPolicy::kEncrypt).key());
}

TEST(ConnectionPath, SourceAddressIsPartOfThePath) {
    ConnectionPath a = path_to(target("mx.example.org", "192.0.2.1", 25), TlsPolicy::kMay);
    ConnectionPath b = a;
    b.source = "198.51.100.7";
    EXPECT_NE(a, b);
    EXPECT_NE(a.key(), b.key());
}

TEST(ConnectionPath, TheEgressSourceIsPartOfThePath) {
    // Two sources to one server: connections of one never carry the other's mail.
    const Target t = target("mx.example.org", "192.0.2.1", 25);
    EXPECT_EQ(path_to(t, TlsPolicy::kMay, "mta2").source, "mta2");
    EXPECT_NE(path_to(t, TlsPolicy::kMay, "mta2").key(), path_to(t, TlsPolicy::kMay, "mta3").key());
    EXPECT_NE(path_to(t, TlsPolicy::kMay, "mta2").key(), path_to(t, TlsPolicy::kMay).key());
    EXPECT_EQ(path_to(t, TlsPolicy::kMay, "mta2").key(), path_to(t, TlsPolicy::kMay, "mta2").key());
}

TEST(ConnectionPath, FieldsDoNotRunIntoEachOther) {
    // "1.2.3.4" + port 1 and "1.2.3.41" + port ... must never meet in one key.
    ConnectionPath a = path_to(target("h", "10.0.0.1", 25), TlsPolicy::kMay);
    ConnectionPath b = path_to(target("h", "10.0.0.12", 5), TlsPolicy::kMay);
    EXPECT_NE(a.key(), b.key());
}
