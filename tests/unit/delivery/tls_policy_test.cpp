// Outbound TLS policy (tls_policy.hpp): parsing, the per-domain lookup, the
// STARTTLS decision table, the plain-text retry rule, the deferral texts,
// connection sharing and the queue note.
#include <gtest/gtest.h>

#include "delivery/tls_policy.hpp"

using namespace ringpost::delivery;

TEST(TlsPolicy, ParseAndName) {
    EXPECT_EQ(parse_tls_policy("none"), TlsPolicy::kNone);
    EXPECT_EQ(parse_tls_policy("MAY"), TlsPolicy::kMay);
    EXPECT_EQ(parse_tls_policy("encrypt"), TlsPolicy::kEncrypt);
    EXPECT_EQ(parse_tls_policy("Verify"), TlsPolicy::kVerify);
    EXPECT_EQ(parse_tls_policy("dane"), std::nullopt);
    EXPECT_EQ(parse_tls_policy(""), std::nullopt);
    for (auto p : {TlsPolicy::kNone, TlsPolicy::kMay, TlsPolicy::kEncrypt, TlsPolicy::kVerify})
        EXPECT_EQ(parse_tls_policy(tls_policy_name(p)), p);
}

TEST(TlsPolicy, DomainEntryBeatsTheDefault) {
    TlsPolicyMap m;
    EXPECT_EQ(m.lookup("example.org"), TlsPolicy::kMay);   // the built-in default
    m.default_policy = TlsPolicy::kEncrypt;
    m.domains["bank.example"] = TlsPolicy::kVerify;
    m.domains["legacy.example"] = TlsPolicy::kNone;
    EXPECT_EQ(m.lookup("bank.example"), TlsPolicy::kVerify);
    EXPECT_EQ(m.lookup("Bank.EXAMPLE"), TlsPolicy::kVerify);   // case-insensitive
    EXPECT_EQ(m.lookup("legacy.example"), TlsPolicy::kNone);
    EXPECT_EQ(m.lookup("sub.bank.example"), TlsPolicy::kEncrypt);   // exact names only
    EXPECT_EQ(m.lookup("other.example"), TlsPolicy::kEncrypt);
}

TEST(TlsPolicy, StartTlsDecisionTable) {
    using D = StartTlsDecision;
    EXPECT_EQ(decide_starttls(TlsPolicy::kNone, true), D::kPlain);
    EXPECT_EQ(decide_starttls(TlsPolicy::kNone, false), D::kPlain);
    EXPECT_EQ(decide_starttls(TlsPolicy::kMay, true), D::kStartTls);
    EXPECT_EQ(decide_starttls(TlsPolicy::kMay, false), D::kPlain);
    EXPECT_EQ(decide_starttls(TlsPolicy::kEncrypt, true), D::kStartTls);
    EXPECT_EQ(decide_starttls(TlsPolicy::kEncrypt, false), D::kDefer);
    EXPECT_EQ(decide_starttls(TlsPolicy::kVerify, true), D::kStartTls);
    EXPECT_EQ(decide_starttls(TlsPolicy::kVerify, false), D::kDefer);
}

TEST(TlsPolicy, PlainRetryOnlyUnderMay) {
    EXPECT_TRUE(retry_plain_after_handshake_failure(TlsPolicy::kMay));
    EXPECT_FALSE(retry_plain_after_handshake_failure(TlsPolicy::kEncrypt));
    EXPECT_FALSE(retry_plain_after_handshake_failure(TlsPolicy::kVerify));
    EXPECT_FALSE(retry_plain_after_handshake_failure(TlsPolicy::kNone));   // never tried TLS
}

TEST(TlsPolicy, DeferralTexts) {
    EXPECT_EQ(tls_not_offered_text(TlsPolicy::kEncrypt, "mx.example.org"),
              "TLS is required (policy encrypt) but mx.example.org did not offer STARTTLS");
    EXPECT_EQ(tls_refused_text(TlsPolicy::kVerify, "mx.example.org", "454 4.7.0 not now"),
              "TLS is required (policy verify) but mx.example.org refused STARTTLS: 454 4.7.0 not now");
    EXPECT_EQ(tls_handshake_failed_text(TlsPolicy::kVerify, "mx.example.org",
                                        "certificate verification failed for mx.example.org: hostname mismatch"),
              "TLS is required (policy verify) but the TLS handshake with mx.example.org failed: "
              "certificate verification failed for mx.example.org: hostname mismatch");
    EXPECT_EQ(tls_handshake_failed_text(TlsPolicy::kMay, "mx.example.org", "wrong version number"),
              "TLS handshake with mx.example.org failed: wrong version number");
    EXPECT_EQ(kTlsNotOfferedStatus, "4.7.4");
    EXPECT_EQ(kTlsFailedStatus, "4.7.5");
}

TEST(TlsPolicy, ConnectionSharingRespectsTheOtherDomainsPolicy) {
    TlsState plain;
    TlsState anon;
    anon.active = true;
    anon.peer_host = "mx.example.org";
    TlsState verified = anon;
    verified.verified = true;
    for (const TlsState* s : {&plain, &anon, &verified}) {
        EXPECT_TRUE(connection_satisfies(TlsPolicy::kNone, *s, "mx.example.org"));
        EXPECT_TRUE(connection_satisfies(TlsPolicy::kMay, *s, "mx.example.org"));
    }
    EXPECT_FALSE(connection_satisfies(TlsPolicy::kEncrypt, plain, "mx.example.org"));
    EXPECT_TRUE(connection_satisfies(TlsPolicy::kEncrypt, anon, "mx.example.org"));
    EXPECT_FALSE(connection_satisfies(TlsPolicy::kVerify, plain, "mx.example.org"));
    EXPECT_FALSE(connection_satisfies(TlsPolicy::kVerify, anon, "mx.example.org"));
    EXPECT_TRUE(connection_satisfies(TlsPolicy::kVerify, verified, "MX.example.org"));
    // Verified for another name than the one this domain uses for the server.
    EXPECT_FALSE(connection_satisfies(TlsPolicy::kVerify, verified, "mail.other.example"));
}

TEST(TlsPolicy, QueueNoteAndStrip) {
    TlsState plain;
    EXPECT_EQ(tls_note(plain), " [tls=none]");
    TlsState t;
    t.active = true;
    t.version = "TLSv1.3";
    t.cipher = "TLS_AES_256_GCM_SHA384";
    t.bits = 256;
    t.verified = true;
    EXPECT_EQ(tls_note(t), " [tls=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verified=yes]");
    EXPECT_EQ(strip_tls_note("451 4.3.0 later" + tls_note(t)), "451 4.3.0 later");
    EXPECT_EQ(strip_tls_note("451 4.3.0 later [x]"), "451 4.3.0 later [x]");
    EXPECT_EQ(strip_tls_note("4.4.1 refused"), "4.4.1 refused");
}
