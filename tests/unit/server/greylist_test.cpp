// Greylisting's state machine (server/greylist.hpp) with the clock given
// by the test, and the names it keeps records under.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/greylist.hpp"
#include "server/greylist_key.hpp"

namespace ringpost::server {
namespace {

using Outcome = Greylist::Outcome;
using ::testing::ElementsAre;

constexpr int64_t kT0 = 1'700'000'000'000;   // unix ms
constexpr int64_t kSecond = 1000;
constexpr int64_t kDay = 86400 * kSecond;

struct Ip {
    uint8_t b[16];
    explicit Ip(const char* text) { EXPECT_TRUE(config::parse_ip(text, b)) << text; }
};

class GreylistTest : public ::testing::Test {
protected:
    GreylistTest() { cfg.enabled = true; }
    Greylist& table() {
        if (!greylist)
            greylist = std::make_unique<Greylist>(cfg, [this](auto put, auto removed) {
                for (auto& r : put) saved.push_back(r.key);
                for (auto& k : removed) dropped.push_back(k);
            });
        return *greylist;
    }
    Greylist::Verdict check(int64_t at, const char* ip = "192.0.2.10", const char* sender = "news@sender.example",
                            const char* rcpt = "alice@example.org") {
        return table().check(Ip(ip).b, sender, rcpt, at);
    }

    config::GreylistConfig cfg;
    std::unique_ptr<Greylist> greylist;
    std::vector<std::string> saved, dropped;
};

TEST_F(GreylistTest, FirstAttemptWaitsRetryAfterTheDelayPassesThenTheTripletIsKnown) {
    Greylist::Verdict v = check(kT0);
    EXPECT_EQ(v.outcome, Outcome::kGreylisted);
    EXPECT_EQ(v.retry_in_ms, 300 * kSecond);
    EXPECT_EQ(table().reply(v), "Greylisted, try again in 300 seconds");
    // Too early: refused again, the wait counted from the first attempt.
    v = check(kT0 + 100 * kSecond);
    EXPECT_EQ(v.outcome, Outcome::kGreylisted);
    EXPECT_EQ(v.retry_in_ms, 200 * kSecond);
    v = check(kT0 + 300 * kSecond);
    EXPECT_EQ(v.outcome, Outcome::kPassed);
    EXPECT_EQ(v.waited_ms, 300 * kSecond);
    // Confirmed: passes at once, and each pass refreshes its lifetime.
    EXPECT_EQ(check(kT0 + 30 * kDay).outcome, Outcome::kKnown);
    EXPECT_EQ(check(kT0 + 64 * kDay).outcome, Outcome::kKnown);
    // Unused for longer than the lifetime (35 days): a stranger again.
    EXPECT_EQ(check(kT0 + 100 * kDay).outcome, Outcome::kGreylisted);
}

TEST_F(GreylistTest, AnUnconfirmedTripletNotRetriedInTheWindowStartsOver) {
    cfg.retry_window_ms = 3600 * 1000;
    EXPECT_EQ(check(kT0).outcome, Outcome::kGreylisted);
    const Greylist::Verdict v = check(kT0 + 3601 * kSecond);
    EXPECT_EQ(v.outcome, Outcome::kGreylisted);
    EXPECT_EQ(v.retry_in_ms, 300 * kSecond);   // a new first attempt
    EXPECT_EQ(check(kT0 + 3901 * kSecond).outcome, Outcome::kPassed);
}

TEST_F(GreylistTest, EachRecipientIsItsOwnTripletAndTheClientIsItsNetwork) {
    EXPECT_EQ(check(kT0, "192.0.2.10", "a@s.example", "alice@example.org").outcome, Outcome::kGreylisted);
    EXPECT_EQ(check(kT0 + 200 * kSecond, "192.0.2.10", "a@s.example", "bob@example.org").outcome,
              Outcome::kGreylisted);
    // Another server of the same /24 retries: the same client.
    EXPECT_EQ(check(kT0 + 300 * kSecond, "192.0.2.77", "a@s.example", "ALICE@example.org").outcome, Outcome::kPassed);
    EXPECT_EQ(check(kT0 + 300 * kSecond, "192.0.2.77", "a@s.example", "bob@example.org").outcome, Outcome::kGreylisted);
    // Another network, another sender: other triplets.
    EXPECT_EQ(check(kT0 + 400 * kSecond, "198.51.100.1", "a@s.example", "alice@example.org").outcome,
              Outcome::kGreylisted);
    EXPECT_EQ(check(kT0 + 400 * kSecond, "192.0.2.10", "b@s.example", "alice@example.org").outcome,
              Outcome::kGreylisted);
}

TEST_F(GreylistTest, ListedDomainsOnlyAndWhitelistsPassAtOnce) {
    cfg.domains = {"example.org"};
    cfg.whitelist_networks = {config::parse_network("203.0.113.0/24")};
    cfg.whitelist_recipients = {"postmaster@example.org", "@friends.example.org"};
    EXPECT_EQ(check(kT0, "192.0.2.1", "a@s.example", "x@other.example").outcome, Outcome::kUnlistedDomain);
    EXPECT_EQ(check(kT0, "192.0.2.1", "a@s.example", "postmaster").outcome, Outcome::kUnlistedDomain);
    EXPECT_EQ(check(kT0, "203.0.113.9", "a@s.example", "x@example.org").outcome, Outcome::kWhitelisted);
    EXPECT_EQ(check(kT0, "192.0.2.1", "a@s.example", "Postmaster@Example.org").outcome, Outcome::kWhitelisted);
    cfg.domains.push_back("friends.example.org");
    greylist.reset();
    EXPECT_EQ(check(kT0, "192.0.2.1", "a@s.example", "any@friends.example.org").outcome, Outcome::kWhitelisted);
    EXPECT_EQ(check(kT0, "192.0.2.1", "a@s.example", "x@example.org").outcome, Outcome::kGreylisted);
    EXPECT_TRUE(saved.size() == 1u && dropped.empty());   // only the one greylisted triplet was remembered
}

TEST_F(GreylistTest, AClientThatPassedEnoughTimesIsAutoWhitelisted) {
    cfg.auto_whitelist_after = 2;
    const char* rcpts[] = {"a@example.org", "b@example.org", "c@example.org"};
    for (const char* r : rcpts) EXPECT_EQ(check(kT0, "192.0.2.1", "s@s.example", r).outcome, Outcome::kGreylisted);
    // Two recipients pass in one message: one count (at most one per delay).
    EXPECT_EQ(check(kT0 + 300 * kSecond, "192.0.2.1", "s@s.example", rcpts[0]).outcome, Outcome::kPassed);
    EXPECT_EQ(check(kT0 + 300 * kSecond, "192.0.2.1", "s@s.example", rcpts[1]).outcome, Outcome::kPassed);
    EXPECT_EQ(check(kT0 + 301 * kSecond, "192.0.2.1", "t@t.example", "d@example.org").outcome, Outcome::kGreylisted);
    EXPECT_EQ(check(kT0 + 600 * kSecond, "192.0.2.1", "s@s.example", rcpts[2]).outcome, Outcome::kPassed);
    // The second count: a new triplet of the network passes at once.
    EXPECT_EQ(check(kT0 + 601 * kSecond, "192.0.2.200", "new@n.example", "e@example.org").outcome,
              Outcome::kAutoWhitelisted);
    EXPECT_EQ(check(kT0 + 601 * kSecond, "198.51.100.1", "new@n.example", "e@example.org").outcome,
              Outcome::kGreylisted);
    // Not seen for the lifetime: no longer whitelisted.
    EXPECT_EQ(check(kT0 + 40 * kDay, "192.0.2.1", "new@n.example", "e@example.org").outcome, Outcome::kGreylisted);
}

TEST_F(GreylistTest, TheStoredRecordsComeBackAndExpiredOnesAreRemoved) {
    check(kT0, "192.0.2.1", "a@s.example", "x@example.org");
    check(kT0 + 10 * kSecond, "192.0.2.1", "b@s.example", "x@example.org");
    ASSERT_EQ(saved.size(), 2u);
    const std::string first = triplet_key("192.0.2.0/24", "a@s.example", "x@example.org");
    const std::string second = triplet_key("192.0.2.0/24", "b@s.example", "x@example.org");
    EXPECT_THAT(saved, ElementsAre(first, second));
    // A restart: the first triplet's record as stored, and one long expired.
    greylist.reset();
    table().load({store::GreylistRecord{first, kT0, kT0, 0, false},
                  store::GreylistRecord{second, kT0 - 3 * kDay, kT0 - 3 * kDay, 0, false}},
                 kT0 + 300 * kSecond);
    EXPECT_THAT(dropped, ElementsAre(second));
    EXPECT_EQ(table().size(), 1u);
    EXPECT_EQ(check(kT0 + 300 * kSecond, "192.0.2.1", "a@s.example", "x@example.org").outcome, Outcome::kPassed);
}

TEST_F(GreylistTest, TheTableIsBoundedAndExpiredRecordsAreSwept) {
    cfg.max_entries = 100;   // 16 shards of 6
    cfg.auto_whitelist_after = 0;
    for (int i = 0; i < 500; ++i)
        check(kT0 + i, "192.0.2.1", "s@s.example", ("r" + std::to_string(i) + "@example.org").c_str());
    EXPECT_LE(table().size(), 100u);
    EXPECT_EQ(saved.size(), 500u);
    EXPECT_EQ(dropped.size(), 500u - table().size());   // the store forgets what memory drops
    // The newest is still there; the oldest was dropped and starts over.
    EXPECT_EQ(check(kT0 + 400 * kSecond, "192.0.2.1", "s@s.example", "r499@example.org").outcome, Outcome::kPassed);
    EXPECT_EQ(check(kT0 + 400 * kSecond, "192.0.2.1", "s@s.example", "r0@example.org").outcome, Outcome::kGreylisted);
    // Three days on, a check sweeps its shard of the unconfirmed ones.
    dropped.clear();
    const size_t before = table().size();
    for (int i = 0; i < 200; ++i)
        check(kT0 + 3 * kDay, "198.51.100.1", "s@s.example", ("z" + std::to_string(i) + "@example.org").c_str());
    EXPECT_GE(dropped.size(), before - 2);   // all but the confirmed r499 (and maybe its client)
}

TEST_F(GreylistTest, ReplyTextSaysTheSecondsLeft) {
    cfg.reply = "wait %s s (%s)";
    cfg.delay_ms = 400;
    EXPECT_EQ(table().reply(check(kT0)), "wait 1 s (1)");
}

TEST(GreylistKey, NetworksAndPostgreySenderSubstitutions) {
    EXPECT_EQ(client_network(Ip("192.0.2.77").b, 24, 64), "192.0.2.0/24");
    EXPECT_EQ(client_network(Ip("192.0.2.77").b, 32, 64), "192.0.2.77/32");
    EXPECT_EQ(client_network(Ip("2001:db8:1:2:3:4:5:6").b, 24, 64), "2001:db8:1:2::/64");
    EXPECT_EQ(client_network(Ip("2001:db8:1:2:3:4:5:6").b, 24, 48), "2001:db8:1::/48");
    EXPECT_EQ(normalized_sender("List+Bounce-42@Lists.Example"), "list@lists.example");
    EXPECT_EQ(normalized_sender("bounce-1234-5678@lists.example"), "bounce-#-#@lists.example");
    EXPECT_EQ(normalized_sender("user42@example.org"), "user42@example.org");
    EXPECT_EQ(normalized_sender(""), "");
    EXPECT_TRUE(is_client_key(client_key("192.0.2.0/24")));
    EXPECT_FALSE(is_client_key(triplet_key("192.0.2.0/24", "a", "b")));
}

}  // namespace
}  // namespace ringpost::server
