// The egress pool of an accepted message: X-Ringpost-Pool from a trusted
// client, else the login's pool, else the sender domain's, else the
// default; the field removed from every message (trusted or not) before
// the later filters (DKIM) see it.
#include "server/egress_pool.hpp"

#include <gtest/gtest.h>

#include "server/filter_chain.hpp"

using namespace ringpost;
using server::EgressPools;

namespace {

config::EgressConfig egress() {
    config::EgressConfig c;
    c.sources = {{"s2", "127.0.0.2", ""}, {"s3", "127.0.0.3", ""}};
    c.pools = {{"bulk", {"s2"}, {}}, {"vip", {"s3"}, {}}, {"alice", {"s3"}, {}}};
    c.default_pool = "bulk";
    c.sender_domains = {{"news.example", "bulk"}, {"corp.example", "vip"}};
    c.users = {{"alice@corp.example", "alice"}};
    return c;
}

smtp::AcceptedMessage message(const std::string& sender, const std::string& extra_headers, bool relay_allowed) {
    smtp::AcceptedMessage m;
    m.envelope.sender = sender;
    m.data = "Received: from client by us; today\r\nFrom: <" + sender + ">\r\n" + extra_headers +
             "Subject: s\r\n\r\nX-Ringpost-Pool: body line, not a field\r\n";
    m.envelope.body_size = m.data.size();
    m.origin.relay_allowed = relay_allowed;
    return m;
}

const std::string kBody = "\r\nX-Ringpost-Pool: body line, not a field\r\n";

TEST(EgressPool, TakeHeaderFieldsRemovesEveryFieldWithItsContinuations) {
    std::string m = "A: 1\r\nx-ringpost-pool: vip\r\n  (folded)\r\nB: 2\r\nX-RINGPOST-POOL: other\r\n\r\nX-Ringpost-Pool: b\r\n";
    auto first = server::take_header_fields(m, "X-Ringpost-Pool");
    ASSERT_TRUE(first);
    EXPECT_EQ(*first, "vip  (folded)");
    EXPECT_EQ(m, "A: 1\r\nB: 2\r\n\r\nX-Ringpost-Pool: b\r\n");
    EXPECT_FALSE(server::take_header_fields(m, "X-Ringpost-Pool"));
    EXPECT_EQ(m, "A: 1\r\nB: 2\r\n\r\nX-Ringpost-Pool: b\r\n");
}

TEST(EgressPool, TrustedHeaderWinsAndIsRemoved) {
    EgressPools pools(egress());
    auto m = message("bob@news.example", "X-Ringpost-Pool: vip\r\n", true);
    pools.apply(m);
    EXPECT_EQ(m.envelope.pool, "vip");
    EXPECT_EQ(m.data.find("X-Ringpost-Pool: vip"), std::string::npos);
    EXPECT_NE(m.data.find(kBody), std::string::npos);   // the body is left alone
    EXPECT_EQ(m.envelope.body_size, m.data.size());
}

TEST(EgressPool, AuthenticatedIsTrustedToo) {
    EgressPools pools(egress());
    auto m = message("alice@corp.example", "X-Ringpost-Pool: bulk\r\n", false);
    m.origin.authenticated = true;
    m.origin.auth_user = "alice@corp.example";
    pools.apply(m);
    EXPECT_EQ(m.envelope.pool, "bulk");   // the header before the login's pool
}

TEST(EgressPool, UntrustedHeaderIsRemovedAndIgnored) {
    EgressPools pools(egress());
    auto m = message("bob@corp.example", "X-Ringpost-Pool: bulk\r\n", false);
    pools.apply(m);
    EXPECT_EQ(m.envelope.pool, "vip");   // the sender domain's, not the header's
    EXPECT_EQ(m.data.find("X-Ringpost-Pool: bulk"), std::string::npos);
    EXPECT_EQ(m.envelope.body_size, m.data.size());
}

TEST(EgressPool, UnknownPoolInTheHeaderMeansTheDefaultPool) {
    EgressPools pools(egress());
    auto m = message("bob@corp.example", "X-Ringpost-Pool: nosuch\r\n", true);
    pools.apply(m);
    EXPECT_EQ(m.envelope.pool, "");
    EXPECT_EQ(m.data.find("nosuch"), std::string::npos);
}

TEST(EgressPool, LoginThenSenderDomainThenDefault) {
    EgressPools pools(egress());
    auto login = message("alice@corp.example", "", false);
    login.origin.authenticated = true;
    login.origin.auth_user = "alice@corp.example";
    pools.apply(login);
    EXPECT_EQ(login.envelope.pool, "alice");

    auto domain = message("Bob@News.Example", "", true);
    pools.apply(domain);
    EXPECT_EQ(domain.envelope.pool, "bulk");

    auto other = message("carol@elsewhere.example", "", true);
    pools.apply(other);
    EXPECT_EQ(other.envelope.pool, "");   // the default pool, resolved at delivery

    auto bounce = message("", "", true);
    pools.apply(bounce);
    EXPECT_EQ(bounce.envelope.pool, "");
    auto sub = message("x@sub.news.example", "", true);   // exact domains only
    pools.apply(sub);
    EXPECT_EQ(sub.envelope.pool, "");
}

// Records what the message looked like when it reached it.
class Recorder final : public smtp::MessageFilter {
public:
    std::string seen;
    smtp::FilterVerdict answer;
    io::Task<smtp::FilterVerdict> filter(smtp::AcceptedMessage& message) override {
        seen = message.data;
        co_return answer;
    }
};

io::Task<void> run(smtp::MessageFilter& f, smtp::AcceptedMessage& m, smtp::FilterVerdict& out) {
    auto filtering = f.filter(m);
    out = co_await std::move(filtering);
}

TEST(EgressPool, TheChainRunsThePoolStepBeforeTheNextFilter) {
    EgressPools pools(egress());
    server::EgressPoolFilter pool_filter(pools);
    Recorder dkim;
    server::FilterChain chain({&pool_filter, nullptr, &dkim});
    auto m = message("bob@news.example", "X-Ringpost-Pool: vip\r\n", false);
    smtp::FilterVerdict verdict{1, "x", "not run"};
    io::spawn(run(chain, m, verdict));   // nothing suspends: done on return
    EXPECT_TRUE(verdict.accepted());
    EXPECT_FALSE(dkim.seen.empty());
    EXPECT_EQ(dkim.seen.find("X-Ringpost-Pool: vip"), std::string::npos);

    Recorder refusing, after;
    refusing.answer = smtp::FilterVerdict{451, "4.3.0", "no"};
    server::FilterChain stops({&refusing, &after});
    io::spawn(run(stops, m, verdict));
    EXPECT_EQ(verdict.code, 451);
    EXPECT_TRUE(after.seen.empty());   // the first refusal ends the chain
}

}  // namespace
