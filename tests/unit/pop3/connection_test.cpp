// The POP3 driver (src/pop3/connection.hpp) end to end on a real io_uring
// over socketpairs, against an in-test Backend whose every call suspends
// (a ring timer) like a real one. The client side is a thread with plain
// blocking sockets. Covers: a pipelined login, RETR of a 5 MiB message
// arriving byte-exact after un-stuffing, deletions applied at QUIT with the
// lock released before the last response, [IN-USE] for a second session,
// and the lock released on disconnect, autologout and shutdown. TLS: STLS
// with a blocking OpenSSL client (the swap, login off loopback over TLS,
// input pipelined after STLS discarded), pop3s, and a junk handshake.
#include "pop3/connection.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "io/live_set.hpp"
#include "io/ops.hpp"
#include "io/ring.hpp"
#include "tls/context_holder.hpp"
#include "util/base64.hpp"
#include "../proto/socket_client.hpp"

using namespace ringpost;
using namespace ringpost::pop3;
using namespace std::chrono_literals;

namespace {

using proto::testing::Client;

class FakeBackend : public Backend {
public:
    std::map<std::string, std::string> passwords{{"alice", "secret"}};
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> maildrops;

    // Touched on the ring thread only, read after ring.run() returns...
    std::set<std::string> locked;
    std::vector<std::string> removed;
    std::vector<std::string> client_ips;
    int close_calls = 0;
    // ...except this one, which the client thread watches.
    std::atomic<int> locks_held{0};

    io::Task<auth::Outcome> authenticate(std::string user, std::string password, std::string client_ip) override {
        co_await io::sleep_for(1ms);
        client_ips.push_back(client_ip);
        auth::Outcome r;
        auto it = passwords.find(user);
        if (it != passwords.end() && it->second == password) {
            r.status = auth::Status::kOk;
            r.user = user;
        }
        co_return r;
    }

    io::Task<Result<std::vector<MaildropEntry>>> open_maildrop(std::string user) override {
        co_await io::sleep_for(1ms);
        if (locked.count(user)) {
            Error e = make_error("locked", kInUse);
            co_return e;
        }
        locked.insert(user);
        ++locks_held;
        std::vector<MaildropEntry> list;
        for (auto& [uid, body] : maildrops[user]) list.push_back(MaildropEntry{uid, body.size()});
        co_return list;
    }

    io::Task<Result<std::string>> fetch(std::string user, std::string uid) override {
        co_await io::sleep_for(1ms);
        for (auto& [u, body] : maildrops[user])
            if (u == uid) co_return body;
        Error e = make_error("no such message", kMessageGone);
        co_return e;
    }

    io::Task<Result<void>> remove(std::string user, std::vector<std::string> uids) override {
        co_await io::sleep_for(1ms);
        for (auto& uid : uids) removed.push_back(user + "/" + uid);
        co_return Result<void>();
    }

    void close_maildrop(std::string user) override {
        ++close_calls;
        if (locked.erase(user)) --locks_held;
    }
};

constexpr const char* kHost = "pop.example.test";

struct Server {
    io::Ring ring{256};
    io::LiveSet live;
    FakeBackend backend;
    SessionConfig config;
    Timeouts timeouts;
    int active = 0;
    std::string client_ip = "192.0.2.9";
    tls::ContextHolder* tls = nullptr;   // STLS (or pop3s with implicit_tls)
    bool implicit_tls = false;

    Server() {
        ring.bind_thread();
        // As for a loopback client; the TLS tests turn it off.
        config.plaintext_allowed = true;
    }

    // A new connection served on the ring; returns the client's end.
    int connect() {
        int sv[2];
        EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        ++active;
        io::spawn(serve(sv[0]));
        return sv[1];
    }

    io::Task<void> serve(int fd) {
        ClientInfo client;
        client.ip = client_ip;
        client.port = 1110;
        ConnectionContext ctx{config, backend, timeouts, live};
        ctx.tls = tls;
        ctx.implicit_tls = implicit_tls;
        auto serving = serve_connection(fd, client, ctx);
        co_await std::move(serving);
        if (--active == 0) ring.stop();
    }
};

// A message with every stuffing hazard, `size` bytes or a little more.
std::string big_message(size_t size) {
    std::string m = "Subject: big\r\nFrom: a@example.org\r\n\r\n";
    uint32_t x = 12345;
    while (m.size() < size) {
        x = x * 1103515245u + 12345u;
        uint32_t kind = (x >> 16) % 10;
        if (kind == 0) m += ".";
        else if (kind == 1) m += "..";
        else if (kind == 2) m += ".leading dot";
        size_t len = (x >> 8) % 200;
        for (size_t i = 0; i < len; ++i) m += char('a' + (i + x) % 26);
        m += "\r\n";
    }
    return m;
}

}  // namespace

TEST(Pop3Connection, PipelinedLoginRetrOfFiveMiBAndQuit) {
    Server server;
    const std::string big = big_message(5 * 1024 * 1024);
    server.backend.maildrops["alice"] = {{"uid-a", big}, {"uid-b", "Subject: small\r\n\r\nhi\r\n"}};
    const int fd = server.connect();

    std::vector<std::string> replies;
    std::optional<std::string> retrieved;
    int locks_at_quit_reply = -1;
    bool closed_after_quit = false;
    std::thread client_thread([&] {
        Client c(fd);
        replies.push_back(c.line().value_or("EOF"));
        c.send("CAPA\r\nUSER alice\r\nPASS secret\r\nSTAT\r\n");   // pipelined
        replies.push_back(c.line().value_or("EOF"));
        auto capa = c.multiline();
        replies.push_back(capa ? "capa ok" : "capa EOF");
        for (int i = 0; i < 3; ++i) replies.push_back(c.line().value_or("EOF"));
        c.send("RETR 1\r\n");
        replies.push_back(c.line().value_or("EOF"));
        retrieved = c.multiline();
        c.send("DELE 1\r\nQUIT\r\n");
        replies.push_back(c.line().value_or("EOF"));
        replies.push_back(c.line().value_or("EOF"));
        locks_at_quit_reply = server.backend.locks_held.load();
        closed_after_quit = c.closed_silently();
    });
    server.ring.run();
    client_thread.join();

    const std::string total = std::to_string(big.size() + 22);
    ASSERT_EQ(replies.size(), 9u);
    EXPECT_EQ(replies[0], "+OK ringpost POP3 server ready");
    EXPECT_EQ(replies[1], "+OK capability list follows");
    EXPECT_EQ(replies[2], "capa ok");
    EXPECT_EQ(replies[3], "+OK send PASS");
    EXPECT_EQ(replies[4], "+OK maildrop has 2 messages (" + total + " octets)");
    EXPECT_EQ(replies[5], "+OK 2 " + total);
    EXPECT_EQ(replies[6], "+OK " + std::to_string(big.size()) + " octets");
    ASSERT_TRUE(retrieved);
    EXPECT_EQ(retrieved->size(), big.size());
    EXPECT_TRUE(*retrieved == big);   // byte-exact after un-stuffing
    EXPECT_EQ(replies[7], "+OK message 1 deleted");
    EXPECT_EQ(replies[8], "+OK ringpost POP3 server signing off (1 messages left)");
    EXPECT_EQ(locks_at_quit_reply, 0);   // unlocked before the last response
    EXPECT_TRUE(closed_after_quit);
    EXPECT_EQ(server.backend.removed, std::vector<std::string>{"alice/uid-a"});
    EXPECT_TRUE(server.backend.locked.empty());
    EXPECT_EQ(server.backend.client_ips, std::vector<std::string>{"192.0.2.9"});
}

TEST(Pop3Connection, SecondSessionIsInUseAndDisconnectReleasesTheLock) {
    Server server;
    server.backend.maildrops["alice"] = {{"u1", "Subject: a\r\n\r\nx\r\n"}};
    const int fd1 = server.connect();
    const int fd2 = server.connect();

    std::vector<std::string> first, second;
    std::thread client_thread([&] {
        Client a(fd1), b(fd2);
        a.line();
        b.line();
        a.send("USER alice\r\nPASS secret\r\nDELE 1\r\n");
        for (int i = 0; i < 3; ++i) first.push_back(a.line().value_or("EOF"));
        b.send("USER alice\r\nPASS secret\r\n");
        for (int i = 0; i < 2; ++i) second.push_back(b.line().value_or("EOF"));
        // The first client vanishes without QUIT: no UPDATE, lock released.
        a.close();
        for (int attempt = 0; attempt < 200; ++attempt) {
            if (server.backend.locks_held.load() == 0) break;
            std::this_thread::sleep_for(5ms);
        }
        b.send("USER alice\r\nPASS secret\r\nSTAT\r\nQUIT\r\n");
        for (int i = 0; i < 4; ++i) second.push_back(b.line().value_or("EOF"));
    });
    server.ring.run();
    client_thread.join();

    ASSERT_EQ(first.size(), 3u);
    EXPECT_EQ(first[1], "+OK maildrop has 1 messages (17 octets)");
    EXPECT_EQ(first[2], "+OK message 1 deleted");
    ASSERT_EQ(second.size(), 6u);
    EXPECT_EQ(second[1], "-ERR [IN-USE] maildrop already locked");
    EXPECT_EQ(second[3], "+OK maildrop has 1 messages (17 octets)");
    EXPECT_EQ(second[4], "+OK 1 17");   // the DELE of the vanished session was not applied
    EXPECT_EQ(second[5], "+OK ringpost POP3 server signing off (1 messages left)");
    EXPECT_TRUE(server.backend.removed.empty());
    EXPECT_TRUE(server.backend.locked.empty());
    EXPECT_EQ(server.backend.close_calls, 2);
}

TEST(Pop3Connection, AutologoutClosesSilentlyAndReleasesTheLock) {
    Server server;
    server.timeouts.idle = 150ms;
    server.backend.maildrops["alice"] = {{"u1", "Subject: a\r\n\r\nx\r\n"}};
    const int fd = server.connect();

    std::vector<std::string> replies;
    bool silent = false;
    std::chrono::steady_clock::duration idle_for{};
    std::thread client_thread([&] {
        Client c(fd);
        c.line();
        c.send("USER alice\r\nPASS secret\r\nDELE 1\r\n");
        for (int i = 0; i < 3; ++i) replies.push_back(c.line().value_or("EOF"));
        auto start = std::chrono::steady_clock::now();
        silent = c.closed_silently();
        idle_for = std::chrono::steady_clock::now() - start;
    });
    server.ring.run();
    client_thread.join();

    EXPECT_EQ(replies.back(), "+OK message 1 deleted");
    EXPECT_TRUE(silent);   // RFC 1939 3: no response
    EXPECT_GE(idle_for, 100ms);
    EXPECT_TRUE(server.backend.removed.empty());   // and no UPDATE
    EXPECT_TRUE(server.backend.locked.empty());
}

TEST(Pop3Connection, ShutdownCancelsAnIdleSessionAndReleasesTheLock) {
    Server server;
    server.backend.maildrops["alice"] = {{"u1", "Subject: a\r\n\r\nx\r\n"}};
    const int fd = server.connect();

    std::vector<std::string> replies;
    bool closed = false;
    std::thread client_thread([&] {
        Client c(fd);
        c.line();
        std::string raw("\0alice\0secret", 13), ir;
        base64::encode(raw, ir);
        c.send("AUTH PLAIN\r\n");
        replies.push_back(c.line().value_or("EOF"));
        c.send(ir + "\r\n");
        replies.push_back(c.line().value_or("EOF"));
        server.ring.post([&server] {
            server.live.set_draining();
            server.live.cancel_all(false);
        });
        replies.push_back(c.line().value_or("EOF"));
        closed = c.closed_silently();
    });
    server.ring.run();
    client_thread.join();

    ASSERT_EQ(replies.size(), 3u);
    EXPECT_EQ(replies[0], "+ ");
    EXPECT_EQ(replies[1], "+OK maildrop has 1 messages (17 octets)");
    EXPECT_EQ(replies[2], "-ERR [SYS/TEMP] server shutting down");
    EXPECT_TRUE(closed);
    EXPECT_TRUE(server.backend.locked.empty());
    EXPECT_EQ(server.live.size(), 0u);
}

TEST(Pop3ConnectionTls, StlsSwapsTheStreamAndAllowsPasswordsOffLoopback) {
    proto::testing::TlsSetup setup{kHost};
    ASSERT_TRUE(setup.holder);
    Server server;
    server.config.plaintext_allowed = false;   // 192.0.2.9 is not loopback
    server.tls = setup.holder.get();
    server.backend.maildrops["alice"] = {{"u1", "Subject: a\r\n\r\nsecret text\r\n"}};
    const int fd = server.connect();

    std::vector<std::string> replies;
    std::optional<std::string> capa_before, capa_after, message;
    bool handshake = false;
    std::string version;
    std::thread client_thread([&] {
        Client c(fd);
        replies.push_back(c.line().value_or("EOF"));
        c.send("CAPA\r\n");
        c.line();
        capa_before = c.multiline();
        c.send("USER alice\r\n");
        replies.push_back(c.line().value_or("EOF"));
        c.send("STLS\r\n");
        replies.push_back(c.line().value_or("EOF"));
        handshake = c.start_tls(setup.certs.cert, kHost);
        version = c.tls_version();
        c.send("CAPA\r\n");
        replies.push_back(c.line().value_or("EOF"));
        capa_after = c.multiline();
        c.send("USER alice\r\nPASS secret\r\nRETR 1\r\n");
        for (int i = 0; i < 3; ++i) replies.push_back(c.line().value_or("EOF"));
        message = c.multiline();
        c.send("QUIT\r\n");
        replies.push_back(c.line().value_or("EOF"));
    });
    server.ring.run();
    client_thread.join();

    ASSERT_TRUE(handshake);
    EXPECT_EQ(version.substr(0, 4), "TLSv");
    ASSERT_EQ(replies.size(), 8u);
    EXPECT_EQ(replies[0], "+OK ringpost POP3 server ready");
    ASSERT_TRUE(capa_before);
    EXPECT_NE(capa_before->find("STLS\r\n"), std::string::npos);
    EXPECT_EQ(capa_before->find("USER\r\n"), std::string::npos);
    EXPECT_EQ(replies[1], "-ERR [AUTH] plain-text authentication requires TLS");
    EXPECT_EQ(replies[2], "+OK begin TLS negotiation");
    EXPECT_EQ(replies[3], "+OK capability list follows");
    ASSERT_TRUE(capa_after);
    EXPECT_EQ(capa_after->find("STLS"), std::string::npos);
    EXPECT_NE(capa_after->find("USER\r\nSASL PLAIN\r\n"), std::string::npos);
    EXPECT_EQ(replies[4], "+OK send PASS");
    const std::string body = "Subject: a\r\n\r\nsecret text\r\n";
    EXPECT_EQ(replies[5], "+OK maildrop has 1 messages (" + std::to_string(body.size()) + " octets)");
    EXPECT_EQ(replies[6], "+OK " + std::to_string(body.size()) + " octets");
    EXPECT_EQ(message, body);
    EXPECT_EQ(replies[7], "+OK ringpost POP3 server signing off (1 messages left)");
    EXPECT_EQ(server.backend.client_ips, std::vector<std::string>{"192.0.2.9"});
    EXPECT_TRUE(server.backend.locked.empty());
}

TEST(Pop3ConnectionTls, InputPipelinedAfterStlsIsDiscarded) {
    proto::testing::TlsSetup setup{kHost};
    ASSERT_TRUE(setup.holder);
    Server server;
    server.tls = setup.holder.get();
    const int fd = server.connect();

    std::vector<std::string> replies;
    std::string plain_after_ok;
    bool handshake = false;
    std::thread client_thread([&] {
        Client c(fd);
        c.line();
        // One write: the injected commands arrive with STLS, in clear.
        c.send("STLS\r\nUSER alice\r\nPASS secret\r\n");
        replies.push_back(c.line().value_or("EOF"));
        handshake = c.start_tls(setup.certs.cert, kHost);
        c.send("NOOP\r\nQUIT\r\n");
        replies.push_back(c.line().value_or("EOF"));
        replies.push_back(c.line().value_or("EOF"));
    });
    server.ring.run();
    client_thread.join();

    ASSERT_TRUE(handshake);
    ASSERT_EQ(replies.size(), 3u);
    EXPECT_EQ(replies[0], "+OK begin TLS negotiation");
    // The first answer over TLS is NOOP's: USER and PASS never ran (NOOP is
    // refused because nobody logged in).
    EXPECT_EQ(replies[1], "-ERR command not valid in this state");
    EXPECT_EQ(replies[2], "+OK ringpost POP3 server signing off");
    EXPECT_TRUE(server.backend.client_ips.empty());
}

TEST(Pop3ConnectionTls, ImplicitTlsGreetsAfterTheHandshake) {
    proto::testing::TlsSetup setup{kHost};
    ASSERT_TRUE(setup.holder);
    Server server;
    server.config.plaintext_allowed = false;
    server.tls = setup.holder.get();
    server.implicit_tls = true;
    server.backend.maildrops["alice"] = {{"u1", "Subject: a\r\n\r\nx\r\n"}};
    const int fd = server.connect();

    std::vector<std::string> replies;
    std::optional<std::string> capa;
    bool handshake = false;
    std::thread client_thread([&] {
        Client c(fd);
        handshake = c.start_tls(setup.certs.cert, kHost);
        replies.push_back(c.line().value_or("EOF"));
        c.send("CAPA\r\n");
        c.line();
        capa = c.multiline();
        c.send("USER alice\r\nPASS secret\r\nQUIT\r\n");
        for (int i = 0; i < 3; ++i) replies.push_back(c.line().value_or("EOF"));
    });
    server.ring.run();
    client_thread.join();

    ASSERT_TRUE(handshake);
    ASSERT_EQ(replies.size(), 4u);
    EXPECT_EQ(replies[0], "+OK ringpost POP3 server ready");
    ASSERT_TRUE(capa);
    EXPECT_EQ(capa->find("STLS"), std::string::npos);
    EXPECT_NE(capa->find("USER\r\n"), std::string::npos);
    EXPECT_EQ(replies[1], "+OK send PASS");
    EXPECT_EQ(replies[2], "+OK maildrop has 1 messages (17 octets)");
    EXPECT_EQ(replies[3], "+OK ringpost POP3 server signing off (1 messages left)");
}

TEST(Pop3ConnectionTls, AJunkHandshakeClosesTheConnection) {
    proto::testing::TlsSetup setup{kHost};
    ASSERT_TRUE(setup.holder);
    Server server;
    server.tls = setup.holder.get();
    server.implicit_tls = true;
    server.timeouts.tls_handshake = 2000ms;
    const int fd = server.connect();

    std::optional<std::string> answer = "not read";
    std::thread client_thread([&] {
        Client c(fd);
        c.send("USER alice\r\nPASS secret\r\n\x16\x03\x01garbage garbage garbage\r\n");
        answer = c.line();   // at most a TLS alert, then EOF: never a greeting
    });
    server.ring.run();
    client_thread.join();

    EXPECT_EQ(answer, std::nullopt);
    EXPECT_TRUE(server.backend.client_ips.empty());
    EXPECT_EQ(server.live.size(), 0u);
}

TEST(Pop3ConnectionTls, AStalledHandshakeTimesOut) {
    proto::testing::TlsSetup setup{kHost};
    ASSERT_TRUE(setup.holder);
    Server server;
    server.tls = setup.holder.get();
    server.timeouts.tls_handshake = 150ms;
    const int fd = server.connect();

    std::string ok;
    bool closed = false;
    std::thread client_thread([&] {
        Client c(fd);
        c.line();
        c.send("STLS\r\n");
        ok = c.line().value_or("EOF");
        // No ClientHello: the server gives up and closes.
        closed = c.closed_silently();
    });
    server.ring.run();
    client_thread.join();

    EXPECT_EQ(ok, "+OK begin TLS negotiation");
    EXPECT_TRUE(closed);
}
