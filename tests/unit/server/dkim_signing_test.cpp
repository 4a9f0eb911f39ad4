// Which messages DkimSigning signs and as which domain: the trust rule
// (dkim.sign), per-login domains, From: subdomains and the closest
// configured domain; and that signing puts one field per key in front and
// keeps body_size right. (That the signatures verify is the business of
// tests/unit/dkim and of test_dkim_signing.py, with an independent verifier.)
#include "server/dkim_signing.hpp"

#include <gtest/gtest.h>

using namespace ringpost;
using server::DkimSigning;

namespace {

dkim::SigningKey ed25519() {
    auto key = dkim::SigningKey::generate(dkim::Algorithm::kEd25519Sha256);
    if (!key) throw std::runtime_error(key.error().message);
    return std::move(key).value();
}

// example.com (selectors a, b) and mail.example.com (c); login carol signs as example.com.
std::unique_ptr<DkimSigning> signing(const std::string& rule = "trusted") {
    config::DkimConfig c;
    c.sign = rule;
    c.domains = {{"example.com", {"a", "b"}}, {"mail.example.com", {"c"}}};
    c.users = {{"carol@customer.example", "example.com"}};
    std::vector<DkimSigning::DomainKeys> keys(2);
    keys[0].domain = "example.com";
    keys[0].selectors.emplace_back("a", ed25519());
    keys[0].selectors.emplace_back("b", ed25519());
    keys[1].domain = "mail.example.com";
    keys[1].selectors.emplace_back("c", ed25519());
    return std::make_unique<DkimSigning>(c, std::move(keys));
}

smtp::AcceptedMessage message(const std::string& from, bool relay_allowed = true) {
    smtp::AcceptedMessage m;
    m.data = "Received: from client by us\r\n\tfor <x@y>; today\r\nFrom: " + from + "\r\nSubject: s\r\n\r\nbody\r\n";
    m.envelope.body_size = m.data.size();
    m.origin.relay_allowed = relay_allowed;
    return m;
}

}  // namespace

TEST(DkimSigning, FromDomainIsTheFirstMailboxOfTheFirstFromField) {
    EXPECT_EQ(server::from_domain("From: \"Ann, B\" <ann@Example.COM>\r\n\r\n"), "example.com");
    EXPECT_EQ(server::from_domain("To: x@other\r\nfrom:\r\n  bob@b.example (Bob), c@c.example\r\n\r\n"), "b.example");
    EXPECT_EQ(server::from_domain("Subject: no from\r\n\r\nFrom: body@line.example\r\n"), "");
    EXPECT_EQ(server::from_domain("From: undisclosed:;\r\n\r\n"), "");
}

TEST(DkimSigning, TheFromDomainOrItsClosestConfiguredParentSigns) {
    auto s = signing();
    EXPECT_EQ(s->signing_domain(message("a@example.com")), "example.com");
    EXPECT_EQ(s->signing_domain(message("a@news.example.com")), "example.com");
    EXPECT_EQ(s->signing_domain(message("a@x.mail.example.com")), "mail.example.com");
    EXPECT_EQ(s->signing_domain(message("a@notexample.com")), "");
    EXPECT_EQ(s->signing_domain(message("a@example.com.evil")), "");
}

TEST(DkimSigning, OnlyTrustedClientsAreSigned) {
    auto trusted = signing("trusted");
    auto outsider = message("a@example.com", false);
    EXPECT_EQ(trusted->signing_domain(outsider), "");
    outsider.origin.authenticated = true;
    outsider.origin.auth_user = "dave@example.com";
    EXPECT_EQ(trusted->signing_domain(outsider), "example.com");

    auto authenticated = signing("authenticated");
    EXPECT_EQ(authenticated->signing_domain(message("a@example.com", true)), "");
    EXPECT_EQ(authenticated->signing_domain(outsider), "example.com");

    auto submission = signing("submission");
    EXPECT_EQ(submission->signing_domain(outsider), "");
    outsider.origin.submission = true;
    EXPECT_EQ(submission->signing_domain(outsider), "example.com");
}

TEST(DkimSigning, AConfiguredLoginSignsAsItsDomainWhateverItsFrom) {
    auto s = signing();
    auto m = message("someone@customer.example", false);
    m.origin.authenticated = true;
    m.origin.auth_user = "carol@customer.example";
    EXPECT_EQ(s->signing_domain(m), "example.com");
    m.origin.auth_user = "other@customer.example";
    EXPECT_EQ(s->signing_domain(m), "");
}

TEST(DkimSigning, SigningPutsOneFieldPerKeyInFront) {
    auto s = signing();
    auto m = message("a@example.com");
    const std::string original = m.data;
    ASSERT_TRUE(s->sign(m, "example.com", 1700000000).ok());
    ASSERT_TRUE(m.data.ends_with(original));
    const std::string fields = m.data.substr(0, m.data.size() - original.size());
    EXPECT_TRUE(fields.starts_with("DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;"));
    EXPECT_NE(fields.find("s=a;"), std::string::npos);
    EXPECT_NE(fields.find("s=b;"), std::string::npos);
    EXPECT_EQ(fields.find("s=c;"), std::string::npos);
    size_t count = 0;
    for (size_t at = fields.find("DKIM-Signature:"); at != std::string::npos; at = fields.find("DKIM-Signature:", at + 1))
        ++count;
    EXPECT_EQ(count, 2u);
    EXPECT_EQ(m.envelope.body_size, m.data.size());
    EXPECT_FALSE(s->sign(m, "unknown.example", 1700000000).ok());
    EXPECT_EQ(s->key_count(), 3u);
}

TEST(DkimSigning, NoDomainsMeansNoSigning) {
    EXPECT_EQ(DkimSigning::load(config::DkimConfig{}), nullptr);
    config::DkimConfig c;
    c.key_dir = "/nonexistent";
    c.domains = {{"example.com", {"a"}}};
    try {
        DkimSigning::load(c);
        FAIL() << "a missing key file must fail";
    } catch (const config::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/example.com/a.pem"), std::string::npos) << e.what();
    }
}
