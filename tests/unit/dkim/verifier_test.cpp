// The DKIM verifier against signatures made by an independent signer
// (dkimpy, fixtures/ from make_fixtures.py: RSA-2048 and Ed25519, both
// canonicalizations, l=, several signatures, tampering, over-signing,
// expiry, rsa-sha1, small, revoked, missing and restricted keys), against
// ringpost's own signer (round trip), and its own rules: clock skew, the
// signature cap, DNS failures, key records in several TXT records, one
// lookup per key name.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

#include "dkim/key_cache.hpp"
#include "dkim/signer.hpp"
#include "dkim/verifier.hpp"
#include "fake_zone.hpp"

namespace ringpost::dkim {
namespace {

using KeyMap = dns::test::FakeZone;

// verify() over the zone, run to its end (the zone never suspends).
std::vector<Verification> verify_now(const Verifier& verifier, std::string_view message, KeyMap& keys, int64_t now) {
    return dns::test::run_now(verifier.verify(message, keys, now));
}

std::string fixture_dir() {
    const char* dir = std::getenv("RINGPOST_DKIM_FIXTURES");
    return dir ? dir : "";
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// "pass", "pass+limited", "pass+testing" for one result.
std::string describe(const Verification& v) {
    std::string s(result_name(v.result));
    if (v.body_length_limited) s += "+limited";
    if (v.testing) s += "+testing";
    return s;
}

TEST(DkimVerifierFixtures, EveryFixtureGivesItsExpectedResults) {
    ASSERT_FALSE(fixture_dir().empty()) << "RINGPOST_DKIM_FIXTURES is not set (run through meson test)";
    KeyMap keys;
    std::istringstream key_lines(read_file(fixture_dir() + "/keys.txt"));
    for (std::string line; std::getline(key_lines, line);) {
        const size_t space = line.find(' ');
        if (space != std::string::npos) keys.txt(line.substr(0, space), {line.substr(space + 1)});
    }
    std::istringstream expected(read_file(fixture_dir() + "/expected.txt"));
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    int checked = 0;
    for (std::string line; std::getline(expected, line);) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream words(line);
        std::string file, want, got;
        words >> file;
        for (std::string w; words >> w;) want += (want.empty() ? "" : " ") + w;
        const std::string message = read_file(fixture_dir() + "/" + file);
        ASSERT_FALSE(message.empty()) << file;
        std::string reasons;
        for (const auto& v : verify_now(Verifier(), message, keys, now)) {
            got += (got.empty() ? "" : " ") + describe(v);
            reasons += " [" + v.reason + "]";
            EXPECT_EQ(v.domain, "example.org") << file;
            EXPECT_EQ(v.b_prefix.size(), 8u) << file;
        }
        EXPECT_EQ(got, want) << file << reasons;
        ++checked;
    }
    EXPECT_GE(checked, 20);
}

TEST(DkimVerifierFixtures, ReportsTheTagsOfEachSignature) {
    KeyMap keys;
    const std::string message = read_file(fixture_dir() + "/rsa_and_ed25519.eml");
    auto results = verify_now(Verifier(), message, keys, std::time(nullptr));
    ASSERT_EQ(results.size(), 2u);
    // Topmost first: the Ed25519 signature was added last.
    EXPECT_EQ(results[0].algorithm, "ed25519-sha256");
    EXPECT_EQ(results[0].selector, "ed");
    EXPECT_EQ(results[1].algorithm, "rsa-sha256");
    EXPECT_EQ(results[1].identity, "@example.org");
    const size_t b = message.find("b=", message.find("bh=") + 3);
    EXPECT_EQ(results[0].b_prefix, message.substr(b + 2, 8));
    EXPECT_EQ(results[0].result, DkimResult::kPermerror);   // no keys in this map
    EXPECT_EQ(results[0].reason, "no key record at ed._domainkey.example.org");
}

constexpr int64_t kSignedAt = 1796000000;

const std::string kRoundTrip =
    "From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: round trip\r\n"
    "Date: Mon, 07 Dec 2026 12:00:00 +0000\r\n\r\nHello,\r\n  spaced   body \r\n\r\n";

struct Signed {
    SigningKey rsa = SigningKey::generate(Algorithm::kRsaSha256, 2048).value();
    SigningKey ed = SigningKey::generate(Algorithm::kEd25519Sha256).value();
    KeyMap keys;
    Signed() {
        keys.txt("rsa._domainkey.example.org", {rsa.dns_record().value()});
        keys.txt("ed._domainkey.example.org", {ed.dns_record().value()});
    }
    std::string sign(const std::string& message, int64_t now, Canon canon = Canon::kRelaxed, uint32_t expire = 0) {
        SignatureSpec specs[2];
        specs[0].domain = specs[1].domain = "example.org";
        specs[0].selector = "rsa";
        specs[0].key = &rsa;
        specs[1].selector = "ed";
        specs[1].key = &ed;
        for (auto& s : specs) {
            s.header_canon = s.body_canon = canon;
            s.expire_after = expire;
        }
        return dkim::sign(message, specs, now).value() + message;
    }
};

TEST(DkimVerifierRoundTrip, RingpostSignaturesPass) {
    Signed s;
    for (Canon canon : {Canon::kRelaxed, Canon::kSimple}) {
        auto results = verify_now(Verifier(), s.sign(kRoundTrip, kSignedAt, canon), s.keys, kSignedAt);
        ASSERT_EQ(results.size(), 2u);
        for (const auto& v : results) {
            EXPECT_EQ(v.result, DkimResult::kPass) << v.reason;
            EXPECT_EQ(v.reason, "");
            EXPECT_FALSE(v.body_length_limited);
        }
        EXPECT_EQ(results[0].algorithm, "rsa-sha256");
        EXPECT_EQ(results[1].algorithm, "ed25519-sha256");
    }
}

TEST(DkimVerifierRoundTrip, LineEndsMayBeBareLf) {
    Signed s;
    std::string message = s.sign(kRoundTrip, kSignedAt);
    std::string lf;
    for (char c : message)
        if (c != '\r') lf += c;
    for (const auto& v : verify_now(Verifier(), lf, s.keys, kSignedAt))
        EXPECT_EQ(v.result, DkimResult::kPass) << v.reason;
}

TEST(DkimVerifierRoundTrip, ClockSkewForTimestampAndExpiry) {
    Signed s;
    // Signed 4 minutes "in the future" (a fast clock): within the skew.
    for (const auto& v : verify_now(Verifier(), s.sign(kRoundTrip, kSignedAt + 240), s.keys, kSignedAt))
        EXPECT_EQ(v.result, DkimResult::kPass) << v.reason;
    for (const auto& v : verify_now(Verifier(), s.sign(kRoundTrip, kSignedAt + 3600), s.keys, kSignedAt)) {
        EXPECT_EQ(v.result, DkimResult::kNeutral);
        EXPECT_EQ(v.reason, "t= is in the future");
    }
    // x= one hour after t=: valid until then plus the skew.
    const std::string expiring = s.sign(kRoundTrip, kSignedAt, Canon::kRelaxed, 3600);
    for (const auto& v : verify_now(Verifier(), expiring, s.keys, kSignedAt + 3600 + kClockSkew))
        EXPECT_EQ(v.result, DkimResult::kPass) << v.reason;
    for (const auto& v : verify_now(Verifier(), expiring, s.keys, kSignedAt + 3601 + kClockSkew)) {
        EXPECT_EQ(v.result, DkimResult::kNeutral);
        EXPECT_EQ(v.reason, "signature expired (x=)");
    }
    EXPECT_EQ(s.keys.asked.size(), 4u);   // expired and future signatures fetch no key
}

TEST(DkimVerifierRoundTrip, KeyCacheReadsEachKeyOnce) {
    Signed s;
    KeyRecordCache cache;
    Verifier::Options options;
    options.key_cache = &cache;
    for (int round = 0; round < 3; ++round) {
        auto results = verify_now(Verifier(options), s.sign(kRoundTrip, kSignedAt), s.keys, kSignedAt);
        ASSERT_EQ(results.size(), 2u);
        for (const auto& v : results) EXPECT_EQ(v.result, DkimResult::kPass) << v.reason;
    }
    EXPECT_EQ(cache.parses(), 2u);   // the RSA and the Ed25519 record, once each
    // A rotated key is another text: read, and the signature made with the
    // old key no longer verifies against it.
    SigningKey rotated = SigningKey::generate(Algorithm::kEd25519Sha256).value();
    s.keys.txt("ed._domainkey.example.org", {rotated.dns_record().value()});
    auto results = verify_now(Verifier(options), s.sign(kRoundTrip, kSignedAt), s.keys, kSignedAt);
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].result, DkimResult::kPass);
    EXPECT_EQ(results[1].result, DkimResult::kFail);
    EXPECT_EQ(cache.parses(), 3u);
}

TEST(DkimVerifierRoundTrip, AtMostMaxSignaturesAreChecked) {
    Signed s;
    std::string message = kRoundTrip;
    for (int i = 0; i < 4; ++i) message = s.sign(message, kSignedAt);   // 8 signatures
    auto results = verify_now(Verifier(), message, s.keys, kSignedAt);
    ASSERT_EQ(results.size(), kMaxSignatures);
    // The topmost ones sign the signatures below them (h= does not list
    // DKIM-Signature by default, so they all pass).
    for (const auto& v : results) EXPECT_EQ(v.result, DkimResult::kPass) << v.reason;
    EXPECT_EQ(s.keys.asked.size(), 2u);   // one lookup per key name
    Verifier::Options two;
    two.max_signatures = 2;
    EXPECT_EQ(verify_now(Verifier(two), message, s.keys, kSignedAt).size(), 2u);
}

TEST(DkimVerifierRoundTrip, DnsFailureIsTemperror) {
    Signed s;
    s.keys.outcome("rsa._domainkey.example.org", dns::kTypeTxt, dns::Outcome::kTemporary);
    auto results = verify_now(Verifier(), s.sign(kRoundTrip, kSignedAt), s.keys, kSignedAt);
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].result, DkimResult::kTemperror);
    EXPECT_EQ(results[0].reason, "key lookup failed: DNS timeout for rsa._domainkey.example.org");
    EXPECT_EQ(results[1].result, DkimResult::kPass);
}

TEST(DkimVerifierRoundTrip, FirstUsableRecordOfSeveralIsTaken) {
    Signed s;
    KeyMap keys;
    keys.txt("rsa._domainkey.example.org", {"v=spf1 -all", s.rsa.dns_record().value()});   // the first is not a key record
    keys.txt("ed._domainkey.example.org", {"v=DKIM1; k=ed25519; p=!!!"});
    auto results = verify_now(Verifier(), s.sign(kRoundTrip, kSignedAt), keys, kSignedAt);
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].result, DkimResult::kPass) << results[0].reason;
    EXPECT_EQ(results[1].result, DkimResult::kPermerror);
    EXPECT_EQ(results[1].reason, "p= of the key record is not base64");
}

TEST(DkimVerifierRoundTrip, KeyOfTheWrongTypeIsPermerror) {
    Signed s;
    KeyMap swapped;
    swapped.txt("rsa._domainkey.example.org", {s.ed.dns_record().value()});
    swapped.txt("ed._domainkey.example.org", {s.rsa.dns_record().value()});
    for (const auto& v : verify_now(Verifier(), s.sign(kRoundTrip, kSignedAt), swapped, kSignedAt)) {
        EXPECT_EQ(v.result, DkimResult::kPermerror);
        EXPECT_EQ(v.reason, "the key type (k=) does not match a=");
    }
}

TEST(DkimVerifierRoundTrip, StepsCanRunApart) {
    // prepare() and fetch_keys() on the ring, finish() elsewhere: the job
    // carries everything finish() needs besides the message.
    Signed s;
    const std::string message = s.sign(kRoundTrip, kSignedAt);
    Verifier verifier;
    VerificationJob job = verifier.prepare(message, kSignedAt);
    ASSERT_EQ(job.signatures.size(), 2u);
    EXPECT_EQ(job.signatures[0].key_name, "rsa._domainkey.example.org");
    auto fetch = [&]() -> io::Task<void> { co_await verifier.fetch_keys(job, s.keys); };
    io::spawn(fetch());
    EXPECT_EQ(job.signatures[1].key.outcome, dns::Outcome::kAnswer);
    std::vector<Verification> results;
    std::thread([&] { results = verifier.finish(message, job); }).join();
    ASSERT_EQ(results.size(), 2u);
    for (const auto& v : results) EXPECT_EQ(v.result, DkimResult::kPass) << v.reason;
}

TEST(DkimVerifierRoundTrip, ASignatureThatSignsSignaturesSkipsItself) {
    // h= lists DKIM-Signature once more than there were when signing (over-
    // signed): the field being verified must not fill that slot.
    Signed s;
    const std::string inner = s.sign(kRoundTrip, kSignedAt);
    SignatureSpec outer;
    outer.domain = "example.org";
    outer.selector = "ed";
    outer.key = &s.ed;
    outer.headers = {"from", "dkim-signature"};
    outer.oversign = {"from", "dkim-signature"};
    const std::string message = sign(inner, {&outer, 1}, kSignedAt).value() + inner;
    ASSERT_NE(message.find("h=from:from:dkim-signature:dkim-signature:dkim-signature;"), std::string::npos);
    auto results = verify_now(Verifier(), message, s.keys, kSignedAt);
    ASSERT_EQ(results.size(), 3u);
    for (const auto& v : results) EXPECT_EQ(v.result, DkimResult::kPass) << v.reason;
    // Anyone adding a DKIM-Signature above it breaks it.
    results = verify_now(Verifier(), "DKIM-Signature: v=1\r\n" + message, s.keys, kSignedAt);
    ASSERT_EQ(results.size(), 4u);
    EXPECT_EQ(results[0].result, DkimResult::kPermerror);
    EXPECT_EQ(results[1].result, DkimResult::kFail);
    EXPECT_EQ(results[2].result, DkimResult::kPass);
}

TEST(DkimVerifierRoundTrip, NoSignatureNoResult) {
    KeyMap keys;
    EXPECT_TRUE(verify_now(Verifier(), kRoundTrip, keys, kSignedAt).empty());
    EXPECT_EQ(keys.asked.size(), 0u);
}

TEST(DkimVerifierRoundTrip, LengthBeyondTheBodyFails) {
    Signed s;
    std::string message = s.sign(kRoundTrip, kSignedAt);
    // An l= added by hand: the signature no longer matches, but the body
    // check comes first and says why.
    message.insert(message.find("v=1;") + 4, " l=999999;");
    auto results = verify_now(Verifier(), message, s.keys, kSignedAt);
    ASSERT_FALSE(results.empty());
    EXPECT_EQ(results[0].result, DkimResult::kFail);
    EXPECT_EQ(results[0].reason, "l= is longer than the body");
}

}  // namespace
}  // namespace ringpost::dkim
