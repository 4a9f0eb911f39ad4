// RelayPolicy against a real (temporary) store: local users, unknown users,
// relay networks, postmaster.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "config/config.hpp"
#include "server/relay_policy.hpp"
#include "store/store.hpp"

using namespace ringpost;

namespace {
class PolicyTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/ringpost-policy-XXXXXX";
        dir_ = mkdtemp(tmpl);
        store::StoreOptions options;
        options.path = dir_ + "/data";
        auto s = store::Store::open(options);
        ASSERT_TRUE(s.ok()) << s.error().message;
        store_ = std::move(s).value();
        ASSERT_TRUE(store_->users().add(store::UserRecord{"alice@example.test", "", 0}).ok());
        ASSERT_TRUE(store_->users().add(store::UserRecord{"postmaster@example.test", "", 0}).ok());
        relay_.local_domains = {"example.test", "localhost"};
        relay_.relay_networks = {config::parse_network("10.0.0.0/8"), config::parse_network("2001:db8::/32")};
    }
    void TearDown() override {
        store_.reset();
        std::filesystem::remove_all(dir_);
    }
    std::string dir_;
    std::unique_ptr<store::Store> store_;
    config::RelayConfig relay_;
};
}  // namespace

TEST_F(PolicyTest, LocalDomainNeedsAnExistingUser) {
    server::RelayPolicy p(relay_, *store_);
    smtp::ClientInfo outsider;
    EXPECT_EQ(p.check_recipient("alice@example.test", outsider), smtp::RcptVerdict::kAcceptLocal);
    EXPECT_EQ(p.check_recipient("Alice@EXAMPLE.test", outsider), smtp::RcptVerdict::kAcceptLocal);
    EXPECT_EQ(p.check_recipient("bob@example.test", outsider), smtp::RcptVerdict::kUnknownUser);
    EXPECT_EQ(p.check_recipient("bob@localhost", outsider), smtp::RcptVerdict::kUnknownUser);
}

TEST_F(PolicyTest, RemoteDomainOnlyForRelayClients) {
    server::RelayPolicy p(relay_, *store_);
    smtp::ClientInfo outsider;
    smtp::ClientInfo insider;
    insider.relay_allowed = true;
    smtp::ClientInfo authed;
    authed.authenticated = true;
    EXPECT_EQ(p.check_recipient("x@remote.test", outsider), smtp::RcptVerdict::kRelayDenied);
    EXPECT_EQ(p.check_recipient("x@remote.test", insider), smtp::RcptVerdict::kAcceptRelay);
    EXPECT_EQ(p.check_recipient("x@remote.test", authed), smtp::RcptVerdict::kAcceptRelay);
}

TEST_F(PolicyTest, RelayNetworksMatchV4AndV6) {
    server::RelayPolicy p(relay_, *store_);
    uint8_t a[16];
    ASSERT_TRUE(config::parse_ip("10.1.2.3", a));
    EXPECT_TRUE(p.relay_allowed(a));
    ASSERT_TRUE(config::parse_ip("11.1.2.3", a));
    EXPECT_FALSE(p.relay_allowed(a));
    ASSERT_TRUE(config::parse_ip("2001:db8::25", a));
    EXPECT_TRUE(p.relay_allowed(a));
    ASSERT_TRUE(config::parse_ip("::1", a));
    EXPECT_FALSE(p.relay_allowed(a));
}

TEST_F(PolicyTest, BarePostmasterGoesToTheLocalPostmaster) {
    server::RelayPolicy p(relay_, *store_);
    smtp::ClientInfo outsider;
    EXPECT_EQ(p.check_recipient("postmaster", outsider), smtp::RcptVerdict::kAcceptLocal);
    EXPECT_EQ(p.check_recipient("nobody", outsider), smtp::RcptVerdict::kUnknownUser);
}

TEST_F(PolicyTest, QueueIdsAreFreshAndValid) {
    server::RelayPolicy p(relay_, *store_);
    std::string a = p.new_queue_id(), b = p.new_queue_id();
    EXPECT_NE(a, b);
    EXPECT_LT(a, b);
    EXPECT_TRUE(store::is_valid_queue_id(a));
}

TEST_F(PolicyTest, MailFromCountsTowardTheMessageRateOfScreenedClients) {
    server::RateLimiter rate(2);
    server::RelayPolicy p(relay_, *store_, &rate);
    smtp::ClientInfo screened;
    screened.ip = "192.0.2.7";
    screened.rate_limited = true;
    EXPECT_FALSE(p.check_mail(screened));
    EXPECT_FALSE(p.check_mail(screened));
    auto refusal = p.check_mail(screened);
    ASSERT_TRUE(refusal);
    EXPECT_EQ(refusal->code, 450);
    EXPECT_EQ(refusal->enhanced, "4.7.1");
    EXPECT_EQ(refusal->text, "Error: too much mail from 192.0.2.7");
    // Not screened (a trusted client, a submission listener): never counted.
    smtp::ClientInfo exempt = screened;
    exempt.rate_limited = false;
    for (int i = 0; i < 5; ++i) EXPECT_FALSE(p.check_mail(exempt));
    // Without a limiter nothing is refused.
    server::RelayPolicy unlimited(relay_, *store_);
    for (int i = 0; i < 5; ++i) EXPECT_FALSE(unlimited.check_mail(screened));
}
