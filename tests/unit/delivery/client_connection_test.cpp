// The delivery client's coroutine driver end to end on a real io_uring
// against an in-test SMTP server (a thread with plain blocking sockets):
// pipelined DATA and BDAT with mixed results, connection reuse, the body
// arriving byte-exact after dot-unstuffing, a connection dropped
// mid-transaction, a stalled server, a refused connect, a 554 greeting,
// a STARTTLS whose handshake fails, and a connection from an egress source
// (its address, its EHLO name).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "delivery/client_connection.hpp"
#include "io/ring.hpp"
#include "io/socket.hpp"
#include "tls/context.hpp"

using namespace ringpost;
using namespace ringpost::delivery;
using namespace std::chrono_literals;

namespace {

struct ServerScript {
    std::string greeting = "220 sink.test ESMTP\r\n";
    std::string ehlo = "250-sink.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 SIZE 100000000\r\n";
    bool drop_at_rcpt = false;      // close the connection at the first RCPT
    bool stall_after_data = false;  // take the message, never answer
    bool broken_starttls = false;   // 220 to STARTTLS, then garbage instead of a handshake
};

// One connection, served on a thread. Recipients whose address contains
// "defer" get 450, "reject" 550; everything else is accepted.
class TestServer {
public:
    explicit TestServer(ServerScript script) : script_(std::move(script)) {
        auto l = io::listen_tcp("127.0.0.1", 0, false, 16);
        EXPECT_TRUE(l.ok());
        listener_ = std::move(l.value());
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&ss), &len);
        port_ = io::address_port(ss);
        thread_ = std::thread([this] { serve(); });
    }
    ~TestServer() {
        if (thread_.joinable()) thread_.join();
    }
    uint16_t port() const { return port_; }
    // After the client is done: join and look at what arrived.
    void join() { thread_.join(); }

    std::vector<std::string> commands;
    std::vector<std::string> messages;
    std::string peer;   // the client's address

private:
    bool fill() {
        char buf[65536];
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) return false;
        in_.append(buf, static_cast<size_t>(n));
        return true;
    }
    std::optional<std::string> line() {
        size_t p;
        while ((p = in_.find("\r\n")) == std::string::npos) {
            if (!fill()) return std::nullopt;
        }
        std::string l = in_.substr(0, p);
        in_.erase(0, p + 2);
        return l;
    }
    // DATA content up to CRLF.CRLF, unstuffed (the dot decoder's job in a real server).
    std::optional<std::string> data() {
        std::string msg;
        for (;;) {
            auto l = line();
            if (!l) return std::nullopt;
            if (*l == ".") return msg;
            if (!l->empty() && (*l)[0] == '.') l->erase(0, 1);
            msg += *l + "\r\n";
        }
    }
    std::optional<std::string> exact(size_t n) {
        while (in_.size() < n) {
            if (!fill()) return std::nullopt;
        }
        std::string s = in_.substr(0, n);
        in_.erase(0, n);
        return s;
    }
    void say(std::string_view s) { (void)!::send(fd_, s.data(), s.size(), MSG_NOSIGNAL); }

    void serve() {
        sockaddr_storage from{};
        socklen_t from_len = sizeof from;
        fd_ = ::accept(listener_.get(), reinterpret_cast<sockaddr*>(&from), &from_len);
        if (fd_ < 0) return;
        peer = io::address_ip(from);
        say(script_.greeting);
        int accepted = 0;
        while (auto l = line()) {
            commands.push_back(*l);
            const std::string& c = *l;
            if (c.rfind("EHLO", 0) == 0) {
                say(script_.ehlo);
            } else if (c.rfind("MAIL", 0) == 0) {
                say("250 2.1.0 Ok\r\n");
            } else if (c.rfind("RCPT", 0) == 0) {
                if (script_.drop_at_rcpt) break;
                if (c.find("defer") != std::string::npos) {
                    say("450 4.2.1 try later\r\n");
                } else if (c.find("reject") != std::string::npos) {
                    say("550 5.1.1 no such user\r\n");
                } else {
                    ++accepted;
                    say("250 2.1.5 Ok\r\n");
                }
            } else if (c == "DATA") {
                if (accepted == 0) {
                    say("554 5.5.1 no valid recipients\r\n");
                    continue;
                }
                say("354 go ahead\r\n");
                auto msg = data();
                if (!msg) break;
                messages.push_back(*msg);
                accepted = 0;   // the transaction is over
                if (script_.stall_after_data) {
                    while (fill()) {
                    }
                    break;
                }
                say("250 2.0.0 Ok: queued\r\n");
            } else if (c.rfind("BDAT ", 0) == 0) {
                auto chunk = exact(std::stoul(c.substr(5)));
                if (!chunk) break;
                if (accepted == 0) {
                    say("554 5.5.1 no valid recipients\r\n");
                    continue;
                }
                messages.push_back(*chunk);
                accepted = 0;
                say("250 2.0.0 Ok: chunked\r\n");
            } else if (c == "STARTTLS" && script_.broken_starttls) {
                say("220 2.0.0 go ahead\r\nthis is not a TLS ServerHello\r\n");
                break;
            } else if (c == "RSET") {
                accepted = 0;
                say("250 2.0.0 Ok\r\n");
            } else if (c == "QUIT") {
                say("221 2.0.0 Bye\r\n");
                break;
            } else {
                say("502 5.5.2 unknown\r\n");
            }
        }
        ::close(fd_);
    }

    ServerScript script_;
    io::Fd listener_;
    uint16_t port_ = 0;
    int fd_ = -1;
    std::string in_;
    std::thread thread_;
};

Transaction make_transaction(std::vector<std::string> rcpts, std::string_view body) {
    Transaction tx;
    tx.sender = "alice@example.net";
    for (auto& r : rcpts) tx.recipients.push_back(ClientRecipient{r, "", 0});
    tx.body = body;
    return tx;
}

ClientOptions options() {
    ClientOptions o;
    o.session.hostname = "client.test";
    o.timeouts.connect = 2000ms;
    return o;
}

// A body with every dot-stuffing hazard, large enough for many data chunks.
std::string big_body() {
    std::string b = ".starts with a dot\r\nSubject: e2e\r\n\r\n";
    for (int i = 0; i < 40000; ++i) {
        b += (i % 7 == 0) ? "." : "";
        b += "line " + std::to_string(i) + " of the message body, some text to fill it\r\n";
    }
    b += ".\r\n..\r\nend\r\n";
    return b;
}

struct ClientRun {
    std::optional<Error> connect_error;
    std::vector<TransactionResult> results;
    bool usable_after = false;
};

// Connects and runs each transaction in turn on one connection, then QUIT.
io::Task<void> client(io::Ring& ring, uint16_t port, ClientOptions opts, std::vector<Transaction> txs, ClientRun& run) {
    auto connecting = ClientConnection::connect("127.0.0.1", port, std::move(opts));
    auto conn = co_await std::move(connecting);
    if (!conn) {
        run.connect_error = conn.error();
        ring.stop();
        co_return;
    }
    for (auto& tx : txs) {
        auto transaction = (*conn)->run_transaction(std::move(tx));
        run.results.push_back(co_await std::move(transaction));
    }
    run.usable_after = (*conn)->usable();
    co_await (*conn)->quit();
    ring.stop();
}

ClientRun run_client(uint16_t port, std::vector<Transaction> txs, ClientOptions opts = options()) {
    io::Ring ring(64);
    ring.bind_thread();
    ClientRun run;
    io::spawn(client(ring, port, std::move(opts), std::move(txs), run));
    ring.run();
    return run;
}

}  // namespace

TEST(ClientConnection, PipelinedDataWithReuseAndExactBody) {
    TestServer server({});
    const std::string body1 = big_body();
    const std::string body2 = "Subject: second\r\n\r\n.\r\nshort\r\n";
    std::vector<Transaction> txs;
    txs.push_back(make_transaction({"ok@x.org", "defer@x.org", "reject@x.org"}, body1));
    txs.back().body_type = mail::BodyType::k8BitMime;
    txs.push_back(make_transaction({"reject@x.org"}, body2));   // all refused: RSET, no data
    txs.push_back(make_transaction({"again@x.org"}, body2));
    ClientRun run = run_client(server.port(), std::move(txs));
    server.join();

    ASSERT_FALSE(run.connect_error) << run.connect_error->message;
    ASSERT_EQ(run.results.size(), 3u);
    const auto& r1 = run.results[0].recipients;
    EXPECT_EQ(r1[0].outcome, Outcome::kDelivered);
    EXPECT_EQ(r1[0].to_string(), "250 2.0.0 Ok: queued");
    EXPECT_EQ(r1[1].outcome, Outcome::kDeferred);
    EXPECT_EQ(r1[1].to_string(), "450 4.2.1 try later");
    EXPECT_EQ(r1[2].outcome, Outcome::kFailed);
    EXPECT_EQ(run.results[1].recipients[0].outcome, Outcome::kFailed);
    EXPECT_EQ(run.results[2].recipients[0].outcome, Outcome::kDelivered);
    EXPECT_TRUE(run.usable_after);

    ASSERT_EQ(server.messages.size(), 2u);
    EXPECT_EQ(server.messages[0], body1);   // byte-exact after unstuffing
    EXPECT_EQ(server.messages[1], body2);
    // One connection: one EHLO; RSET when the connection is reused after a
    // success, and after the failed second transaction (not twice in a row).
    const auto& cmds = server.commands;
    EXPECT_EQ(std::count_if(cmds.begin(), cmds.end(), [](auto& c) { return c.rfind("EHLO", 0) == 0; }), 1);
    EXPECT_EQ(std::count(cmds.begin(), cmds.end(), "RSET"), 2);
    EXPECT_EQ(cmds.back(), "QUIT");
    EXPECT_EQ(cmds[1], "MAIL FROM:<alice@example.net> SIZE=" + std::to_string(body1.size()) + " BODY=8BITMIME");
}

TEST(ClientConnection, BdatWhenChunkingOffered) {
    ServerScript s;
    s.ehlo = "250-sink.test\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 8BITMIME\r\n";
    TestServer server(s);
    const std::string body = big_body();
    std::vector<Transaction> txs;
    txs.push_back(make_transaction({"a@x.org", "reject@x.org"}, body));
    ClientRun run = run_client(server.port(), std::move(txs));
    server.join();
    ASSERT_EQ(run.results.size(), 1u);
    EXPECT_TRUE(run.results[0].used_bdat);
    EXPECT_EQ(run.results[0].recipients[0].outcome, Outcome::kDelivered);
    EXPECT_EQ(run.results[0].recipients[1].outcome, Outcome::kFailed);
    ASSERT_EQ(server.messages.size(), 1u);
    EXPECT_EQ(server.messages[0], body);   // raw, no stuffing
}

TEST(ClientConnection, DroppedConnectionDefersEveryone) {
    ServerScript s;
    s.drop_at_rcpt = true;
    TestServer server(s);
    std::vector<Transaction> txs;
    txs.push_back(make_transaction({"a@x.org", "b@x.org"}, "hi\r\n"));
    txs.push_back(make_transaction({"c@x.org"}, "hi\r\n"));   // on a dead connection
    ClientRun run = run_client(server.port(), std::move(txs));
    server.join();
    ASSERT_EQ(run.results.size(), 2u);
    for (const auto& d : run.results[0].recipients) {
        EXPECT_EQ(d.outcome, Outcome::kDeferred);
        EXPECT_EQ(d.enhanced, "4.4.2");
        EXPECT_NE(d.text.find("lost connection"), std::string::npos) << d.text;
    }
    EXPECT_EQ(run.results[1].recipients[0].outcome, Outcome::kDeferred);
    EXPECT_FALSE(run.usable_after);
}

TEST(ClientConnection, StalledServerTimesOut) {
    ServerScript s;
    s.stall_after_data = true;
    TestServer server(s);
    ClientOptions o = options();
    o.timeouts.data_term = 200ms;
    std::vector<Transaction> txs;
    txs.push_back(make_transaction({"a@x.org"}, "hi\r\n"));
    auto start = std::chrono::steady_clock::now();
    ClientRun run = run_client(server.port(), std::move(txs), o);
    auto took = std::chrono::steady_clock::now() - start;
    server.join();   // ends when the client closes
    ASSERT_EQ(run.results.size(), 1u);
    const Diagnostic& d = run.results[0].recipients[0];
    EXPECT_EQ(d.outcome, Outcome::kDeferred);
    EXPECT_EQ(d.to_string(), "4.4.2 conversation timed out while waiting for the end of data reply");
    EXPECT_GE(took, 150ms);
    EXPECT_LT(took, 5s);
}

// A port that was just free: nothing listens there now.
uint16_t unused_port() {
    auto l = io::listen_tcp("127.0.0.1", 0, false, 1);
    EXPECT_TRUE(l.ok());
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    getsockname(l->get(), reinterpret_cast<sockaddr*>(&ss), &len);
    return io::address_port(ss);
}

TEST(ClientConnection, RefusedConnectIsTemporary) {
    ClientRun run = run_client(unused_port(), {});
    ASSERT_TRUE(run.connect_error);
    EXPECT_FALSE(run.connect_error->code);
    EXPECT_NE(run.connect_error->message.find("Connection refused"), std::string::npos) << run.connect_error->message;
    EXPECT_EQ(connect_outcome(*run.connect_error), Outcome::kDeferred);
}

TEST(ClientConnection, AnEgressSourceGivesItsAddressAndEhloName) {
    TestServer server(ServerScript{});
    ClientOptions opts = options();
    opts.source_address = "127.0.0.3";
    opts.session.hostname = "mta3.pools.test";
    ClientRun run = run_client(server.port(), {make_transaction({"bob@example.org"}, "Subject: s\r\n\r\nhi\r\n")},
                               opts);
    server.join();
    ASSERT_FALSE(run.connect_error) << run.connect_error->message;
    EXPECT_EQ(server.peer, "127.0.0.3");
    ASSERT_FALSE(server.commands.empty());
    EXPECT_EQ(server.commands.front(), "EHLO mta3.pools.test");
    EXPECT_EQ(server.messages.size(), 1u);
}

TEST(ClientConnection, ASourceOfTheOtherFamilyCannotConnect) {
    ClientOptions opts = options();
    opts.source_address = "::1";
    ClientRun run = run_client(unused_port(), {}, opts);
    ASSERT_TRUE(run.connect_error);
    EXPECT_NE(run.connect_error->message.find("source ::1 cannot reach an IPv4 address"), std::string::npos)
        << run.connect_error->message;
    EXPECT_EQ(connect_outcome(*run.connect_error), Outcome::kDeferred);   // the next address may do
}

TEST(ClientConnection, ProbeSourceTellsWhetherTheAddressIsOurs) {
    EXPECT_TRUE(probe_source("127.0.0.2").ok());
    auto foreign = probe_source("192.0.2.77");   // TEST-NET-1: on no interface
    ASSERT_FALSE(foreign.ok());
    EXPECT_NE(foreign.error().message.find("bind to source 192.0.2.77"), std::string::npos) << foreign.error().message;
    EXPECT_FALSE(probe_source("mta.example").ok());
}

TEST(ClientConnection, GreetingRefusalIsPermanent) {
    ServerScript s;
    s.greeting = "554 5.7.1 go away\r\n";
    TestServer server(s);
    ClientRun run = run_client(server.port(), {});
    server.join();
    ASSERT_TRUE(run.connect_error);
    EXPECT_EQ(run.connect_error->code, reply_error_code(554));
    EXPECT_EQ(run.connect_error->message, "554 5.7.1 go away");
    EXPECT_EQ(connect_outcome(*run.connect_error), Outcome::kFailed);
    ASSERT_FALSE(server.commands.empty());
    EXPECT_EQ(server.commands.back(), "QUIT");   // RFC 5321 3.1
}

TEST(ClientConnection, BrokenStartTlsHandshakeIsMarkedForThePlainRetry) {
    ServerScript s;
    s.ehlo = "250-sink.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n";
    s.broken_starttls = true;
    TestServer server(s);
    ClientOptions o = options();
    o.session.tls = TlsPolicy::kMay;
    o.session.tls_host = "mx.sink.test";
    auto ctx = tls::ClientContext::create(tls::ClientConfig{});
    ASSERT_TRUE(ctx.ok()) << ctx.error().message;
    o.tls_context = ctx.value();
    ClientRun run = run_client(server.port(), {}, o);
    server.join();
    ASSERT_TRUE(run.connect_error);
    EXPECT_EQ(run.connect_error->code, kTlsHandshakeError);
    EXPECT_EQ(connect_outcome(*run.connect_error), Outcome::kDeferred);
    EXPECT_EQ(run.connect_error->message.rfind("4.7.5 TLS handshake with mx.sink.test failed: ", 0), 0u)
        << run.connect_error->message;
    ASSERT_FALSE(server.commands.empty());
    EXPECT_EQ(server.commands.back(), "STARTTLS");
}
