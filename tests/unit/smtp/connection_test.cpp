// The SMTP driver (src/smtp/connection.hpp) end to end on a real io_uring
// over socketpairs, through the real Session, with a fake Policy and a fake
// Spool that commits on a thread of its own (as the commit stage does), so
// the session resumes through the ring's post_resume. The client side is a
// thread with a blocking socket. Covers: the greeting, a pipelined
// transaction and its 250 after the commit, an overlong command line
// skipped with the session in step, the idle (command) timeout, a graceful
// shutdown of an idle session, and STARTTLS with pipelined plaintext
// discarded.
#include "smtp/connection.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "io/live_set.hpp"
#include "io/ops.hpp"
#include "io/ring.hpp"
#include "../proto/socket_client.hpp"

using namespace ringpost;
using namespace ringpost::smtp;
using namespace std::chrono_literals;
using proto::testing::Client;

namespace {

constexpr const char* kHost = "mx.example.test";

// Every recipient is local; queue IDs count up.
class AcceptAllPolicy : public Policy {
public:
    RcptVerdict check_recipient(std::string_view, const ClientInfo&) override { return RcptVerdict::kAcceptLocal; }
    std::string new_queue_id() override {
        char buf[17];
        std::snprintf(buf, sizeof buf, "%016llX", static_cast<unsigned long long>(++ids));
        return buf;
    }
    int64_t now() override { return 1700000000; }
    int ids = 0;
};

// Commits on a thread of its own and calls back from there, like the
// store's commit stage.
class ThreadSpool : public Spool {
public:
    ~ThreadSpool() override { join(); }
    void commit(AcceptedMessage message, std::function<void(const Result<void>&)> done) override {
        {
            std::lock_guard<std::mutex> lock(mu);
            messages.push_back(std::move(message));
        }
        threads.emplace_back([done = std::move(done)] {
            std::this_thread::sleep_for(2ms);
            done(Result<void>());
        });
    }
    void join() {
        for (auto& t : threads) t.join();
        threads.clear();
    }
    std::mutex mu;
    std::vector<AcceptedMessage> messages;
    std::vector<std::thread> threads;
};

// A message filter that prepends a header, or refuses with a 451 when
// told to; it suspends once (a posted resume, as a pool call does).
class TaggingFilter : public MessageFilter {
public:
    io::Task<FilterVerdict> filter(AcceptedMessage& message) override {
        ++calls;
        origins.push_back(message.origin);
        io::SleepOp pause = io::sleep_for(1ms);
        co_await pause;
        if (refuse) co_return FilterVerdict{451, "4.3.0", "Error: the message could not be signed, try again later"};
        message.data.insert(0, "X-Filtered: yes\r\n");
        message.envelope.body_size = message.data.size();
        co_return FilterVerdict{};
    }
    bool refuse = false;
    int calls = 0;
    std::vector<MessageOrigin> origins;
};

struct Server {
    io::Ring ring{256};
    io::LiveSet live;
    AcceptAllPolicy policy;
    ThreadSpool spool;
    MessageFilter* filter = nullptr;
    SessionConfig config;
    Timeouts timeouts;
    std::optional<proto::testing::TlsSetup> tls_setup;
    tls::ContextHolder* tls = nullptr;

    Server() {
        ring.bind_thread();
        config.hostname = kHost;
    }

    int connect() {
        return proto::testing::serve_socketpair([this](int fd) { return serve(fd); });
    }

    // STARTTLS offered, over a fresh certificate for kHost.
    bool offer_tls() {
        tls_setup.emplace(kHost);
        tls = tls_setup->holder.get();
        return tls != nullptr;
    }
    const std::string& ca_file() const { return tls_setup->certs.cert; }

    io::Task<void> serve(int fd) {
        ClientInfo client;
        client.ip = "192.0.2.5";
        client.port = 2525;
        ConnectionContext ctx{config, policy, spool, timeouts, live};
        ctx.tls = tls;
        ctx.filter = filter;
        auto serving = serve_connection(fd, client, ctx);
        co_await std::move(serving);
        ring.stop();
    }
};

// The last line of a (multi-line) reply: the one with a space after the code.
std::string reply(Client& c) {
    for (;;) {
        std::optional<std::string> l = c.line();
        if (!l) return "EOF";
        if (l->size() < 4 || (*l)[3] != '-') return *l;
    }
}

}  // namespace

TEST(SmtpConnection, GreetingAndAPipelinedTransactionCommittedThroughTheSpool) {
    Server server;
    const int fd = server.connect();
    std::vector<std::string> replies;
    bool closed = false;
    std::thread client([&] {
        Client c(fd);
        replies.push_back(reply(c));
        c.send("EHLO client.example\r\nMAIL FROM:<a@remote.example>\r\nRCPT TO:<b@local.example>\r\n"
               "RCPT TO:<c@local.example>\r\nDATA\r\n");
        for (int i = 0; i < 5; ++i) replies.push_back(reply(c));
        c.send("Subject: hi\r\n\r\nbody line\r\n..leading dot\r\n.\r\nQUIT\r\n");
        for (int i = 0; i < 2; ++i) replies.push_back(reply(c));
        closed = c.closed_silently();
    });
    server.ring.run();
    client.join();
    server.spool.join();

    ASSERT_EQ(replies.size(), 8u);
    EXPECT_EQ(replies[0], std::string("220 ") + kHost + " ESMTP ringpost");
    EXPECT_EQ(replies[1].substr(0, 4), "250 ");   // the end of the EHLO list
    EXPECT_EQ(replies[2], "250 2.1.0 Ok");
    EXPECT_EQ(replies[3], "250 2.1.5 Ok");
    EXPECT_EQ(replies[4], "250 2.1.5 Ok");
    EXPECT_EQ(replies[5].substr(0, 4), "354 ");
    EXPECT_EQ(replies[6], "250 2.0.0 Ok: queued as 0000000000000001");
    EXPECT_EQ(replies[7], "221 2.0.0 Bye");
    EXPECT_TRUE(closed);
    ASSERT_EQ(server.spool.messages.size(), 1u);
    const AcceptedMessage& m = server.spool.messages[0];
    EXPECT_EQ(m.envelope.recipients.size(), 2u);
    EXPECT_NE(m.data.find("Subject: hi\r\n\r\nbody line\r\n.leading dot\r\n"), std::string::npos);
    EXPECT_EQ(server.live.size(), 0u);
}

TEST(SmtpConnection, AnOverlongCommandLineIsAnsweredAndSkipped) {
    Server server;
    const int fd = server.connect();
    std::vector<std::string> replies;
    std::thread client([&] {
        Client c(fd);
        reply(c);
        // Longer than max_command_line (2048) and than the input buffer
        // (8 KiB): skipped as it arrives, never buffered whole.
        c.send("NOOP " + std::string(20000, 'x'));
        c.send("\r\nNOOP\r\nQUIT\r\n");
        for (int i = 0; i < 3; ++i) replies.push_back(reply(c));
    });
    server.ring.run();
    client.join();
    EXPECT_EQ(replies, (std::vector<std::string>{"500 5.5.2 Error: line too long", "250 2.0.0 Ok", "221 2.0.0 Bye"}));
}

TEST(SmtpConnection, AnIdleClientGetsTheTimeoutReplyAndIsClosed) {
    Server server;
    server.timeouts.command = 150ms;
    const int fd = server.connect();
    std::string greeting, last;
    bool closed = false;
    std::chrono::steady_clock::duration waited{};
    std::thread client([&] {
        Client c(fd);
        greeting = reply(c);
        const auto began = std::chrono::steady_clock::now();
        last = reply(c);   // sends nothing
        waited = std::chrono::steady_clock::now() - began;
        closed = c.closed_silently();
    });
    server.ring.run();
    client.join();
    EXPECT_EQ(greeting.substr(0, 4), "220 ");
    EXPECT_EQ(last, std::string("421 4.4.2 ") + kHost + " Error: timeout exceeded");
    EXPECT_GE(waited, 100ms);
    EXPECT_TRUE(closed);
}

TEST(SmtpConnection, ATrickleDoesNotStretchTheCommandDeadline) {
    Server server;
    server.timeouts.command = 300ms;
    const int fd = server.connect();
    std::string last;
    std::thread client([&] {
        Client c(fd);
        reply(c);
        // One byte every 50 ms, never a whole line: the deadline holds.
        for (int i = 0; i < 20; ++i) {
            c.send("N");
            std::this_thread::sleep_for(50ms);
        }
        last = reply(c);
    });
    server.ring.run();
    client.join();
    EXPECT_EQ(last, std::string("421 4.4.2 ") + kHost + " Error: timeout exceeded");
}

TEST(SmtpConnection, ShutdownSaysGoodbyeToAnIdleSession) {
    Server server;
    const int fd = server.connect();
    std::string noop, last;
    std::thread client([&] {
        Client c(fd);
        reply(c);
        c.send("NOOP\r\n");
        noop = reply(c);
        server.ring.post([&server] {
            server.live.set_draining();
            server.live.cancel_all(false);
        });
        last = reply(c);
    });
    server.ring.run();
    client.join();
    EXPECT_EQ(noop, "250 2.0.0 Ok");
    EXPECT_EQ(last, std::string("421 4.3.2 ") + kHost + " Service shutting down");
    EXPECT_EQ(server.live.size(), 0u);
}

TEST(SmtpConnection, StartTlsDiscardsPipelinedPlaintext) {
    Server server;
    ASSERT_TRUE(server.offer_tls());
    const int fd = server.connect();
    std::vector<std::string> replies;
    bool handshake = false;
    std::thread client([&] {
        Client c(fd);
        reply(c);
        c.send("EHLO client.example\r\n");
        reply(c);
        c.send("STARTTLS\r\nMAIL FROM:<injected@example>\r\n");   // one write: the MAIL came in clear
        replies.push_back(reply(c));
        handshake = c.start_tls(server.ca_file(), kHost);
        c.send("RCPT TO:<b@local.example>\r\nQUIT\r\n");
        for (int i = 0; i < 2; ++i) replies.push_back(reply(c));
    });
    server.ring.run();
    client.join();
    ASSERT_TRUE(handshake);
    ASSERT_EQ(replies.size(), 3u);
    EXPECT_EQ(replies[0].substr(0, 4), "220 ");
    // No MAIL ran: RCPT is out of sequence, and the session was reset (no EHLO yet).
    EXPECT_EQ(replies[1].substr(0, 4), "503 ");
    EXPECT_EQ(replies[2], "221 2.0.0 Bye");
}

TEST(SmtpConnection, TheMessageFilterRunsBeforeTheCommitAndMayRefuse) {
    Server server;
    TaggingFilter filter;
    server.filter = &filter;
    const int fd = server.connect();
    std::vector<std::string> replies;
    std::thread client([&] {
        Client c(fd);
        reply(c);
        c.send("EHLO client.example\r\nMAIL FROM:<a@remote.example>\r\nRCPT TO:<b@local.example>\r\nDATA\r\n");
        for (int i = 0; i < 4; ++i) reply(c);
        c.send("Subject: one\r\n\r\nfirst\r\n.\r\n");
        replies.push_back(reply(c));
        filter.refuse = true;   // the client waits for the reply: no race with the filter
        c.send("MAIL FROM:<a@remote.example>\r\nRCPT TO:<b@local.example>\r\nDATA\r\n");
        for (int i = 0; i < 3; ++i) reply(c);
        c.send("Subject: two\r\n\r\nsecond\r\n.\r\nNOOP\r\nQUIT\r\n");
        for (int i = 0; i < 3; ++i) replies.push_back(reply(c));
    });
    server.ring.run();
    client.join();
    server.spool.join();
    EXPECT_EQ(replies, (std::vector<std::string>{"250 2.0.0 Ok: queued as 0000000000000001",
                                                 "451 4.3.0 Error: the message could not be signed, try again later",
                                                 "250 2.0.0 Ok", "221 2.0.0 Bye"}));
    EXPECT_EQ(filter.calls, 2);
    ASSERT_EQ(filter.origins.size(), 2u);
    EXPECT_FALSE(filter.origins[0].authenticated);
    EXPECT_FALSE(filter.origins[0].submission);
    ASSERT_EQ(server.spool.messages.size(), 1u) << "a refused message is not spooled";
    const AcceptedMessage& m = server.spool.messages[0];
    EXPECT_TRUE(m.data.starts_with("X-Filtered: yes\r\nReceived: ")) << m.data;
    EXPECT_EQ(m.envelope.body_size, m.data.size());
    EXPECT_EQ(server.live.size(), 0u);
}
