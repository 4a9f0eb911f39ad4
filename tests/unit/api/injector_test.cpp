// The HTTP injection's acceptance (server/injector.hpp) on a real ring,
// through the real smtp::Session, with a fake Policy and a Spool that
// commits on a thread of its own (as the commit stage does): accepted
// messages look like SMTP-accepted ones (Received: with HTTP, Date and
// Message-ID added, 8BITMIME/SMTPUTF8 declared), refusals carry the SMTP
// reply that made them, and nothing unsafe reaches a command line.
#include "api/injector.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "io/ring.hpp"
#include "store/store_error.hpp"

using namespace ringpost;
using namespace ringpost::api;
using namespace std::chrono_literals;

namespace {

class TestPolicy : public smtp::Policy {
public:
    smtp::RcptVerdict check_recipient(std::string_view a, const smtp::ClientInfo& c) override {
        if (a.ends_with("@local.test")) return a.starts_with("nobody@") ? smtp::RcptVerdict::kUnknownUser : smtp::RcptVerdict::kAcceptLocal;
        return c.relay_allowed || c.authenticated ? smtp::RcptVerdict::kAcceptRelay : smtp::RcptVerdict::kRelayDenied;
    }
    std::string new_queue_id() override {
        char buf[17];
        std::snprintf(buf, sizeof buf, "%016llX", static_cast<unsigned long long>(++ids));
        return buf;
    }
    int64_t now() override { return 1700000000; }
    bool storage_available(uint64_t) override { return !full; }
    int ids = 0;
    bool full = false;
};

class ThreadSpool : public smtp::Spool {
public:
    ~ThreadSpool() override {
        for (auto& t : threads) t.join();
    }
    void commit(smtp::AcceptedMessage message, std::function<void(const Result<void>&)> done) override {
        {
            std::lock_guard lock(mu);
            messages.push_back(std::move(message));
        }
        threads.emplace_back([done = std::move(done), fail = fail] {
            std::this_thread::sleep_for(1ms);
            if (fail == 1) done(make_error("disk on fire", EIO));
            else if (fail == 2) done(make_error("stopping", store::StoreErrc::kShuttingDown));
            else done(Result<void>());
        });
    }
    std::mutex mu;
    std::vector<smtp::AcceptedMessage> messages;
    std::vector<std::thread> threads;
    int fail = 0;   // 1 a write error, 2 shutting down
};

class RefusingFilter : public smtp::MessageFilter {
public:
    io::Task<smtp::FilterVerdict> filter(smtp::AcceptedMessage&) override {
        co_return smtp::FilterVerdict{451, "4.3.0", "Error: the message could not be signed, try again later"};
    }
};

struct InjectorTest : ::testing::Test {
    io::Ring ring{64};
    TestPolicy policy;
    ThreadSpool spool;
    smtp::SessionConfig config;
    smtp::MessageFilter* filter = nullptr;

    InjectorTest() {
        ring.bind_thread();
        config.hostname = "mx.example.test";
    }

    std::vector<InjectionResult> run(std::vector<InjectionMessage> messages, InjectionCaller caller = {"192.0.2.7", "app"}) {
        Injector injector(config, policy, spool, filter);
        std::vector<InjectionResult> out;
        auto body = [&]() -> io::Task<void> {
            auto injecting = injector.inject(std::move(messages), caller);
            out = co_await std::move(injecting);
            ring.stop();
        };
        io::spawn(body());
        ring.run();
        return out;
    }
};

const std::string kMessage = "From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n";

}  // namespace

TEST_F(InjectorTest, AcceptedLikeAnSmtpMessage) {
    auto r = run({{"a@example.com", {"u@local.test", "x@remote.test"}, kMessage}});
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].refusal.code, 0) << r[0].refusal.text;
    EXPECT_EQ(r[0].queue_id, "0000000000000001");
    EXPECT_EQ(r[0].accepted, (std::vector<std::string>{"u@local.test", "x@remote.test"}));
    ASSERT_EQ(spool.messages.size(), 1u);
    const auto& m = spool.messages[0];
    EXPECT_EQ(m.envelope.sender, "a@example.com");
    EXPECT_EQ(m.envelope.protocol, "HTTP");
    EXPECT_EQ(m.envelope.client_ip, "192.0.2.7");
    EXPECT_TRUE(m.envelope.recipients[0].local);
    EXPECT_FALSE(m.envelope.recipients[1].local);
    EXPECT_EQ(m.data.rfind("Received: from http-api ([192.0.2.7])", 0), 0u) << m.data;
    EXPECT_NE(m.data.find("with HTTP id 0000000000000001"), std::string::npos) << m.data;
    EXPECT_NE(m.data.find("\r\nDate: "), std::string::npos) << "added as on submission";
    EXPECT_NE(m.data.find("\r\nMessage-ID: <"), std::string::npos);
    EXPECT_TRUE(m.data.ends_with(kMessage));
    EXPECT_EQ(m.envelope.body_size, m.data.size());
    EXPECT_TRUE(m.origin.authenticated);
    EXPECT_EQ(m.origin.auth_user, "app");
}

TEST_F(InjectorTest, RefusedRecipientsAreReportedAndTheRestAccepted) {
    auto r = run({{"a@example.com", {"nobody@local.test", "u@local.test"}, kMessage},
                  {"a@example.com", {"nobody@local.test"}, kMessage}});
    ASSERT_EQ(r.size(), 2u);
    EXPECT_FALSE(r[0].queue_id.empty());
    EXPECT_EQ(r[0].accepted, std::vector<std::string>{"u@local.test"});
    ASSERT_EQ(r[0].refused.size(), 1u);
    EXPECT_EQ(r[0].refused[0].address, "nobody@local.test");
    EXPECT_EQ(r[0].refused[0].reply.code, 550);
    EXPECT_EQ(r[0].refused[0].reply.enhanced, "5.1.1");
    EXPECT_TRUE(r[1].queue_id.empty());
    EXPECT_EQ(r[1].refusal.code, 550);
    EXPECT_EQ(spool.messages.size(), 1u);
}

TEST_F(InjectorTest, LimitsAndSyntaxComeFromTheSession) {
    config.limits.max_message_size = 100;
    const std::string big = "Subject: big\r\n\r\n" + std::string(200, 'x') + "\r\n";
    auto r = run({{"a@example.com", {"u@local.test"}, big},
                  {"a@example.com\r\nRCPT TO:<evil@remote.test>", {"u@local.test"}, kMessage},
                  {"a@example.com", {"u@local.test>\r\nDATA"}, kMessage},
                  {"not an address", {"u@local.test"}, kMessage}});
    ASSERT_EQ(r.size(), 4u);
    EXPECT_EQ(r[0].refusal.code, 552) << r[0].refusal.text;
    EXPECT_EQ(r[1].refusal.code, 501);
    EXPECT_EQ(r[1].refusal.enhanced, "5.1.7");
    EXPECT_EQ(r[2].refusal.code, 501);
    ASSERT_EQ(r[2].refused.size(), 1u);
    EXPECT_EQ(r[2].refused[0].reply.enhanced, "5.1.3");
    EXPECT_GE(r[3].refusal.code, 500);
    EXPECT_TRUE(spool.messages.empty());
}

TEST_F(InjectorTest, EightBitAndUtf8AreDeclared) {
    auto r = run({{"a@example.com", {"u@local.test"}, "Subject: caf\xc3\xa9\r\n\r\nb\xc3\xa9\r\n"},
                  {"\xc3\xa9@example.com", {"\xc3\xbc@remote.test"}, kMessage}});
    ASSERT_EQ(spool.messages.size(), 2u) << r[0].refusal.text << " / " << r[1].refusal.text;
    EXPECT_EQ(spool.messages[0].envelope.body_type, mail::BodyType::k8BitMime);
    EXPECT_TRUE(spool.messages[1].envelope.smtputf8);
}

// (One run per test: a ring, once stopped, is done.)
TEST_F(InjectorTest, AFullStoreIsATemporaryRefusal) {
    policy.full = true;
    auto r = run({{"a@example.com", {"u@local.test"}, kMessage}});
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].refusal.code, 452);
    EXPECT_EQ(r[0].refusal.enhanced, "4.3.1");
}

TEST_F(InjectorTest, AFailedCommitIsATemporaryRefusal) {
    spool.fail = 1;
    auto r = run({{"a@example.com", {"u@local.test"}, kMessage}});
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].refusal.code, 451);
    EXPECT_NE(r[0].refusal.text.find("disk on fire"), std::string::npos);
    EXPECT_TRUE(r[0].queue_id.empty());
    EXPECT_TRUE(r[0].accepted.empty());
}

TEST_F(InjectorTest, ACommitRefusedForShutdownSaysSo) {
    spool.fail = 2;
    auto r = run({{"a@example.com", {"u@local.test"}, kMessage}});
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].refusal.code, 421);
}

TEST_F(InjectorTest, AFilterRefusalIsTheAnswer) {
    RefusingFilter refusing;
    filter = &refusing;
    auto r = run({{"a@example.com", {"u@local.test"}, kMessage}});
    EXPECT_EQ(r[0].refusal.code, 451);
    EXPECT_EQ(r[0].refusal.text, "Error: the message could not be signed, try again later");
    EXPECT_TRUE(spool.messages.empty());
}

TEST_F(InjectorTest, ManyMessagesOfOneRequestCommitTogether) {
    std::vector<InjectionMessage> many;
    for (int i = 0; i < 50; ++i) many.push_back({"a@example.com", {"u" + std::to_string(i) + "@local.test"}, kMessage});
    auto r = run(std::move(many));
    ASSERT_EQ(r.size(), 50u);
    for (const auto& x : r) EXPECT_FALSE(x.queue_id.empty());
    EXPECT_EQ(spool.messages.size(), 50u);
}

TEST(ParseLastReply, CodeEnhancedText) {
    Refusal r = parse_last_reply("250-first\r\n550 5.1.1 <x@y>: Recipient address rejected\r\n");
    EXPECT_EQ(r.code, 550);
    EXPECT_EQ(r.enhanced, "5.1.1");
    EXPECT_EQ(r.text, "<x@y>: Recipient address rejected");
    r = parse_last_reply("421 closing\r\n");
    EXPECT_EQ(r.code, 421);
    EXPECT_EQ(r.enhanced, "");
    EXPECT_EQ(r.text, "closing");
}
