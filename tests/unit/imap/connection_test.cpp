// The IMAP driver (src/imap/connection.hpp) end to end on a real io_uring
// over socketpairs, against the FakeBackend (every call suspends on a ring
// timer). The client side is a thread with plain blocking sockets. Covers:
// pipelined LOGIN + SELECT + FETCH, "+" continuations for synchronizing
// literals, the tight literal limit before login, IDLE woken by another
// session's APPEND, a long FETCH flushed in pieces arriving complete,
// LOGOUT, the bad-command limit, autologout and shutdown. TLS, with a
// blocking OpenSSL client: STARTTLS (LOGIN off loopback over TLS, a long
// FETCH flushed through the TLS stream, IDLE woken over TLS), commands
// pipelined after STARTTLS discarded, imaps, and a junk handshake.
#include "imap/connection.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fake_backend.hpp"
#include "io/live_set.hpp"
#include "io/ring.hpp"
#include "tls/context_holder.hpp"
#include "../proto/socket_client.hpp"

using namespace ringpost;
using namespace ringpost::imap;
using namespace std::chrono_literals;
using imap::test::FakeBackend;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

// The shared socketpair client, and IMAP's tagged responses with literals.
class Client : public proto::testing::Client {
public:
    using proto::testing::Client::Client;

    // Everything up to and including the line tagged `tag`, literals read
    // by their announced size (so CRLFs inside them are no line ends);
    // nullopt at EOF or timeout.
    std::optional<std::string> until(std::string_view tag) {
        std::string all;
        std::string prefix = std::string(tag) + " ";
        for (;;) {
            auto l = line();
            if (!l) return std::nullopt;
            all += *l;
            all += "\r\n";
            // A literal announced at the end of the line: its data, then the line goes on.
            while (all.size() >= 3 && all[all.size() - 3] == '}') {
                size_t open = all.rfind('{', all.size() - 3);
                if (open == std::string::npos) break;
                size_t n = std::stoul(all.substr(open + 1, all.size() - 3 - open - 1));
                auto data = bytes(n);
                if (!data) return std::nullopt;
                all += *data;
                auto rest = line();
                if (!rest) return std::nullopt;
                all += *rest;
                all += "\r\n";
            }
            if (l->compare(0, prefix.size(), prefix) == 0) return all;
        }
    }
};

constexpr const char* kHost = "imap.example.test";

struct Server {
    io::Ring ring{256};
    io::LiveSet live;
    FakeBackend backend;
    SessionConfig config;
    Timeouts timeouts;
    ReaderLimits limits;
    int active = 0;
    tls::ContextHolder* tls = nullptr;   // STARTTLS (or imaps with implicit_tls)
    bool implicit_tls = false;

    Server() {
        ring.bind_thread();
        backend.latency = 1ms;
        backend.add_user("alice", "secret");
        backend.add_message("alice", "INBOX", "Subject: one\r\n\r\nfirst\r\n", kSeen, 1705060800);
        backend.add_message("alice", "INBOX", "Subject: two\r\n\r\nsecond\r\n", 0, 1705060800);
        backend.add_message("alice", "INBOX", "Subject: three\r\n\r\nthird\r\n", kFlagged, 1705060800);
        backend.settle("alice", "INBOX");
    }

    // A new connection served on the ring; returns the client's end.
    int connect(std::string ip = "192.0.2.9") {
        int sv[2];
        EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        ++active;
        io::spawn(serve(sv[0], std::move(ip)));
        return sv[1];
    }

    io::Task<void> serve(int fd, std::string ip) {
        ClientInfo client;
        client.ip = std::move(ip);
        client.port = 1143;
        ConnectionContext ctx{config, backend, timeouts, live, limits};
        ctx.tls = tls;
        ctx.implicit_tls = implicit_tls;
        auto serving = serve_connection(fd, client, ctx);
        co_await std::move(serving);
        if (--active == 0) ring.stop();
    }
};

const std::string kCaps =
    "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE LIST-EXTENDED";

}  // namespace

TEST(ImapConnection, PipelinedLoginSelectFetchAndLogout) {
    Server server;
    const int fd = server.connect();
    std::optional<std::string> greeting, replies, bye;
    bool closed = false;
    std::thread client_thread([&] {
        Client c(fd);
        greeting = c.line();
        c.send("a LOGIN alice secret\r\nb SELECT INBOX\r\nc FETCH 1:3 (UID FLAGS BODY.PEEK[HEADER.FIELDS (Subject)])\r\n");
        replies = c.until("c");
        c.send("d LOGOUT\r\n");
        bye = c.until("d");
        closed = c.closed_silently();
    });
    server.ring.run();
    client_thread.join();

    EXPECT_EQ(greeting, "* OK [CAPABILITY " + kCaps + " AUTH=PLAIN] localhost IMAP4rev1 ringpost ready");
    ASSERT_TRUE(replies);
    EXPECT_EQ(*replies,
              "a OK [CAPABILITY " + kCaps + "] Logged in\r\n"
              "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
              "* 3 EXISTS\r\n"
              "* 0 RECENT\r\n"
              "* OK [UNSEEN 2] First unseen\r\n"
              "* OK [UIDVALIDITY 1000] UIDs valid\r\n"
              "* OK [UIDNEXT 4] Predicted next UID\r\n"
              "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags and keywords are stored\r\n"
              "b OK [READ-WRITE] SELECT completed\r\n"
              "* 1 FETCH (UID 1 FLAGS (\\Seen) BODY[HEADER.FIELDS (Subject)] {16}\r\nSubject: one\r\n\r\n)\r\n"
              "* 2 FETCH (UID 2 FLAGS () BODY[HEADER.FIELDS (Subject)] {16}\r\nSubject: two\r\n\r\n)\r\n"
              "* 3 FETCH (UID 3 FLAGS (\\Flagged) BODY[HEADER.FIELDS (Subject)] {18}\r\nSubject: three\r\n\r\n)\r\n"
              "c OK FETCH completed\r\n");
    EXPECT_EQ(bye, "* BYE Logging out\r\nd OK LOGOUT completed\r\n");
    EXPECT_TRUE(closed);
    EXPECT_EQ(server.backend.login_ips, std::vector<std::string>{"192.0.2.9"});
    EXPECT_EQ(server.live.size(), 0u);
}

TEST(ImapConnection, PlaintextLoginsOnlyOnLoopbackWhenNotAllowed) {
    Server server;
    server.config.plaintext_allowed = false;
    const int remote = server.connect("192.0.2.9");
    const int local = server.connect("127.0.0.1");
    std::optional<std::string> remote_greeting, remote_login, local_greeting, local_login;
    std::thread client_thread([&] {
        Client r(remote), l(local);
        remote_greeting = r.line();
        local_greeting = l.line();
        r.send("a LOGIN alice secret\r\nb LOGOUT\r\n");
        remote_login = r.line();
        l.send("a LOGIN alice secret\r\nb LOGOUT\r\n");
        local_login = l.line();
        r.until("b");
        l.until("b");
    });
    server.ring.run();
    client_thread.join();

    EXPECT_EQ(remote_greeting, "* OK [CAPABILITY " + kCaps + " LOGINDISABLED] localhost IMAP4rev1 ringpost ready");
    EXPECT_EQ(remote_login, "a NO [PRIVACYREQUIRED] LOGIN disabled without TLS");
    EXPECT_EQ(local_greeting, "* OK [CAPABILITY " + kCaps + " AUTH=PLAIN] localhost IMAP4rev1 ringpost ready");
    EXPECT_EQ(local_login, "a OK [CAPABILITY " + kCaps + "] Logged in");
    EXPECT_EQ(server.backend.login_ips, std::vector<std::string>{"127.0.0.1"});
}

TEST(ImapConnection, SynchronizingLiteralsGetAContinuation) {
    Server server;
    const int fd = server.connect();
    std::vector<std::optional<std::string>> lines;
    std::thread client_thread([&] {
        Client c(fd);
        c.line();
        c.send("a LOGIN {5}\r\n");
        lines.push_back(c.line());
        c.send("alice {6}\r\n");
        lines.push_back(c.line());
        c.send("secret\r\n");
        lines.push_back(c.line());
        // LITERAL+ needs no continuation: the next line is the tagged reply.
        c.send("b STATUS {5+}\r\nINBOX (MESSAGES)\r\n");
        lines.push_back(c.line());
        lines.push_back(c.line());
        c.send("c LOGOUT\r\n");
        c.until("c");
    });
    server.ring.run();
    client_thread.join();

    ASSERT_EQ(lines.size(), 5u);
    EXPECT_EQ(lines[0], "+ Ready for literal data");
    EXPECT_EQ(lines[1], "+ Ready for literal data");
    EXPECT_EQ(lines[2], "a OK [CAPABILITY " + kCaps + "] Logged in");
    EXPECT_EQ(lines[3], "* STATUS INBOX (MESSAGES 3)");
    EXPECT_EQ(lines[4], "b OK STATUS completed");
}

TEST(ImapConnection, LargeLiteralsAreRefusedBeforeLoginOnly) {
    Server server;
    const int fd = server.connect();
    const std::string message = "Subject: big\r\n\r\n" + std::string(10000 - 18, 'x') + "\r\n";
    ASSERT_EQ(message.size(), 10000u);
    std::vector<std::optional<std::string>> lines;
    std::thread client_thread([&] {
        Client c(fd);
        c.line();
        c.send("a APPEND INBOX {10000}\r\n");   // no continuation: the client sends no data
        lines.push_back(c.line());
        c.send("b LOGIN alice secret\r\n");
        lines.push_back(c.line());
        c.send("c APPEND INBOX {10000}\r\n");
        lines.push_back(c.line());
        c.send(message + "\r\n");
        lines.push_back(c.line());
        c.send("d LOGOUT\r\n");
        c.until("d");
    });
    server.ring.run();
    client_thread.join();

    ASSERT_EQ(lines.size(), 4u);
    EXPECT_THAT(lines[0].value_or("EOF"), StartsWith("a BAD "));
    EXPECT_THAT(lines[1].value_or("EOF"), StartsWith("b OK [CAPABILITY"));
    EXPECT_EQ(lines[2], "+ Ready for literal data");
    EXPECT_EQ(lines[3], "c OK [APPENDUID 1000 4] APPEND completed");
    ASSERT_NE(server.backend.message("alice", "INBOX", 4), nullptr);
    EXPECT_EQ(server.backend.message("alice", "INBOX", 4)->data, message);
}

TEST(ImapConnection, IdleIsWokenByAnotherSessionsAppend) {
    Server server;
    const int fd_a = server.connect();
    const int fd_b = server.connect();
    std::optional<std::string> idling, pushed, recent, done, appended;
    std::thread client_thread([&] {
        Client a(fd_a), b(fd_b);
        a.line();
        b.line();
        a.send("a1 LOGIN alice secret\r\na2 SELECT INBOX\r\n");
        a.until("a2");
        a.send("a3 IDLE\r\n");
        idling = a.line();
        b.send("b1 LOGIN alice secret\r\nb2 APPEND INBOX {3+}\r\nabc\r\n");
        appended = b.until("b2");
        pushed = a.line();   // without sending anything
        recent = a.line();   // the idling session is the first to see it
        a.send("DONE\r\n");
        done = a.line();
        a.send("a4 LOGOUT\r\n");
        b.send("b3 LOGOUT\r\n");
        a.until("a4");
        b.until("b3");
    });
    server.ring.run();
    client_thread.join();

    EXPECT_EQ(idling, "+ idling");
    EXPECT_EQ(appended, "b1 OK [CAPABILITY " + kCaps + "] Logged in\r\nb2 OK [APPENDUID 1000 4] APPEND completed\r\n");
    EXPECT_EQ(pushed, "* 4 EXISTS");
    EXPECT_EQ(recent, "* 1 RECENT");
    EXPECT_EQ(done, "a3 OK IDLE terminated");
}

TEST(ImapConnection, LongFetchIsFlushedInPiecesAndArrivesComplete) {
    Server server;
    server.backend.latency = 0ms;
    server.config.flush_threshold = 256;
    server.config.stream_threshold = 4096;
    std::string big = "Subject: big\r\n\r\n";
    for (int i = 0; big.size() < 200000; ++i) big += "line " + std::to_string(i) + "\r\n";
    std::vector<std::string> bodies;
    for (int i = 0; i < 300; ++i) bodies.push_back("Subject: m" + std::to_string(i) + "\r\n\r\nbody " + std::to_string(i) + "\r\n");
    bodies.push_back(big);
    for (const auto& b : bodies) server.backend.add_message("alice", "Sent", b, kSeen, 1705060800);
    const int fd = server.connect();
    std::optional<std::string> fetched;
    std::thread client_thread([&] {
        Client c(fd);
        c.line();
        c.send("a LOGIN alice secret\r\nb SELECT Sent\r\n");
        c.until("b");
        c.send("c FETCH 1:* (UID BODY.PEEK[])\r\nd LOGOUT\r\n");
        fetched = c.until("c");
        c.until("d");
    });
    server.ring.run();
    client_thread.join();

    std::string expected;
    for (size_t i = 0; i < bodies.size(); ++i)
        expected += "* " + std::to_string(i + 1) + " FETCH (UID " + std::to_string(i + 1) + " BODY[] {" +
                    std::to_string(bodies[i].size()) + "}\r\n" + bodies[i] + ")\r\n";
    expected += "c OK FETCH completed\r\n";
    ASSERT_TRUE(fetched);
    EXPECT_EQ(fetched->size(), expected.size());
    EXPECT_TRUE(*fetched == expected);   // byte-exact (no diff of 250 KB on failure)
    EXPECT_GE(server.backend.read_ranges.size(), 200000u / 4096);   // the big one was streamed
}

TEST(ImapConnection, TooManyBadCommandsCloseTheConnection) {
    Server server;
    server.config.max_bad_commands = 2;
    const int fd = server.connect();
    std::optional<std::string> first, second, bye;
    bool closed = false;
    std::thread client_thread([&] {
        Client c(fd);
        c.line();
        c.send("a FOO\r\nb SELECT INBOX\r\nc NOOP\r\n");
        first = c.line();
        second = c.line();
        bye = c.line();
        closed = c.closed_silently();
    });
    server.ring.run();
    client_thread.join();

    EXPECT_THAT(first.value_or("EOF"), StartsWith("a BAD "));
    EXPECT_EQ(second, "b BAD SELECT not allowed before login");
    EXPECT_EQ(bye, "* BYE Too many invalid commands");
    EXPECT_TRUE(closed);   // c NOOP was never answered
}

TEST(ImapConnection, AutologoutSaysBye) {
    Server server;
    server.timeouts.idle = 150ms;
    const int fd = server.connect();
    std::optional<std::string> login, bye;
    bool closed = false;
    std::chrono::steady_clock::duration waited{};
    std::thread client_thread([&] {
        Client c(fd);
        c.line();
        c.send("a LOGIN alice secret\r\n");
        login = c.line();
        auto start = std::chrono::steady_clock::now();
        bye = c.line();
        waited = std::chrono::steady_clock::now() - start;
        closed = c.closed_silently();
    });
    server.ring.run();
    client_thread.join();

    EXPECT_THAT(login.value_or("EOF"), StartsWith("a OK "));
    EXPECT_EQ(bye, "* BYE Autologout; idle for too long");
    EXPECT_GE(waited, 100ms);
    EXPECT_TRUE(closed);
}

TEST(ImapConnection, ShutdownSaysByeToAnIdleClient) {
    Server server;
    const int fd = server.connect();
    std::optional<std::string> idling, bye;
    bool closed = false;
    std::thread client_thread([&] {
        Client c(fd);
        c.line();
        c.send("a LOGIN alice secret\r\nb SELECT INBOX\r\nc IDLE\r\n");
        idling = c.until("b").has_value() ? c.line() : std::nullopt;
        server.ring.post([&server] {
            server.live.set_draining();
            server.live.cancel_all(false);
        });
        bye = c.line();
        closed = c.closed_silently();
    });
    server.ring.run();
    client_thread.join();

    EXPECT_EQ(idling, "+ idling");
    EXPECT_EQ(bye, "* BYE Server shutting down");
    EXPECT_TRUE(closed);
    EXPECT_EQ(server.live.size(), 0u);
}

TEST(ImapConnectionTls, StarttlsAllowsLoginOffLoopbackAndFlushesThroughTls) {
    proto::testing::TlsSetup setup{kHost};
    ASSERT_TRUE(setup.holder);
    Server server;
    server.config.plaintext_allowed = false;   // 192.0.2.9 is not loopback
    server.config.flush_threshold = 256;
    server.config.stream_threshold = 4096;
    server.tls = setup.holder.get();
    std::string big = "Subject: big\r\n\r\n";
    for (int i = 0; big.size() < 200000; ++i) big += "line " + std::to_string(i) + "\r\n";
    server.backend.add_message("alice", "Sent", big, kSeen, 1705060800);
    const int fd = server.connect();

    std::optional<std::string> greeting, refused, starttls, caps, login, fetched, bye;
    bool handshake = false;
    std::thread client_thread([&] {
        Client c(fd);
        greeting = c.line();
        c.send("a LOGIN alice secret\r\n");
        refused = c.line();
        c.send("b STARTTLS\r\n");
        starttls = c.line();
        handshake = c.start_tls(setup.certs.cert, kHost);
        c.send("c CAPABILITY\r\n");
        caps = c.until("c");
        c.send("d LOGIN alice secret\r\n");
        login = c.line();
        c.send("e SELECT Sent\r\n");
        c.until("e");
        c.send("f FETCH 1 BODY.PEEK[]\r\n");
        fetched = c.until("f");
        c.send("g LOGOUT\r\n");
        bye = c.until("g");
    });
    server.ring.run();
    client_thread.join();

    EXPECT_EQ(greeting, "* OK [CAPABILITY " + kCaps + " STARTTLS LOGINDISABLED] localhost IMAP4rev1 ringpost ready");
    EXPECT_EQ(refused, "a NO [PRIVACYREQUIRED] LOGIN disabled without TLS");
    EXPECT_EQ(starttls, "b OK Begin TLS negotiation now");
    ASSERT_TRUE(handshake);
    EXPECT_EQ(caps, "* CAPABILITY " + kCaps + " AUTH=PLAIN\r\nc OK CAPABILITY completed\r\n");
    EXPECT_EQ(login, "d OK [CAPABILITY " + kCaps + "] Logged in");
    const std::string expected = "* 1 FETCH (BODY[] {" + std::to_string(big.size()) + "}\r\n" + big + ")\r\nf OK FETCH completed\r\n";
    ASSERT_TRUE(fetched);
    EXPECT_EQ(fetched->size(), expected.size());
    EXPECT_TRUE(*fetched == expected);
    EXPECT_EQ(bye, "* BYE Logging out\r\ng OK LOGOUT completed\r\n");
    EXPECT_EQ(server.backend.login_ips, std::vector<std::string>{"192.0.2.9"});
    EXPECT_EQ(server.live.size(), 0u);
}

TEST(ImapConnectionTls, CommandsPipelinedAfterStarttlsAreDiscarded) {
    proto::testing::TlsSetup setup{kHost};
    ASSERT_TRUE(setup.holder);
    Server server;
    server.tls = setup.holder.get();
    const int fd = server.connect("127.0.0.1");   // loopback: LOGIN would work in clear

    std::optional<std::string> starttls, first, bye;
    bool handshake = false;
    std::thread client_thread([&] {
        Client c(fd);
        c.line();
        // One write: the injected commands arrive with STARTTLS, in clear.
        c.send("a STARTTLS\r\nb LOGIN alice secret\r\nc NOOP\r\n");
        starttls = c.line();
        handshake = c.start_tls(setup.certs.cert, kHost);
        c.send("d NOOP\r\n");
        first = c.line();
        c.send("e LOGOUT\r\n");
        bye = c.until("e");
    });
    server.ring.run();
    client_thread.join();

    EXPECT_EQ(starttls, "a OK Begin TLS negotiation now");
    ASSERT_TRUE(handshake);
    EXPECT_EQ(first, "d OK NOOP completed");   // neither b nor c was answered
    EXPECT_EQ(bye, "* BYE Logging out\r\ne OK LOGOUT completed\r\n");
    EXPECT_TRUE(server.backend.login_ips.empty());
}

TEST(ImapConnectionTls, IdleOverTlsIsWokenByAnotherSessionsAppend) {
    proto::testing::TlsSetup setup{kHost};
    ASSERT_TRUE(setup.holder);
    Server server;
    server.tls = setup.holder.get();
    server.implicit_tls = true;
    const int fd_a = server.connect();
    const int fd_b = server.connect();
    std::optional<std::string> greeting, idling, pushed, recent, done;
    bool handshake_a = false, handshake_b = false;
    std::thread client_thread([&] {
        Client a(fd_a), b(fd_b);
        handshake_a = a.start_tls(setup.certs.cert, kHost);
        handshake_b = b.start_tls(setup.certs.cert, kHost);
        greeting = a.line();
        b.line();
        a.send("a1 LOGIN alice secret\r\na2 SELECT INBOX\r\n");
        a.until("a2");
        a.send("a3 IDLE\r\n");
        idling = a.line();
        b.send("b1 LOGIN alice secret\r\nb2 APPEND INBOX {3+}\r\nabc\r\n");
        b.until("b2");
        pushed = a.line();
        recent = a.line();
        a.send("DONE\r\n");
        done = a.line();
        a.send("a4 LOGOUT\r\n");
        b.send("b3 LOGOUT\r\n");
        a.until("a4");
        b.until("b3");
    });
    server.ring.run();
    client_thread.join();

    ASSERT_TRUE(handshake_a);
    ASSERT_TRUE(handshake_b);
    // imaps: no STARTTLS, and passwords are allowed off loopback.
    EXPECT_EQ(greeting, "* OK [CAPABILITY " + kCaps + " AUTH=PLAIN] localhost IMAP4rev1 ringpost ready");
    EXPECT_EQ(idling, "+ idling");
    EXPECT_EQ(pushed, "* 4 EXISTS");
    EXPECT_EQ(recent, "* 1 RECENT");
    EXPECT_EQ(done, "a3 OK IDLE terminated");
}

TEST(ImapConnectionTls, AJunkHandshakeOnImapsClosesTheConnection) {
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
        c.send("a LOGIN alice secret\r\n");
        answer = c.line();   // at most a TLS alert, then EOF: never a greeting
    });
    server.ring.run();
    client_thread.join();

    EXPECT_EQ(answer, std::nullopt);
    EXPECT_TRUE(server.backend.login_ips.empty());
    EXPECT_EQ(server.live.size(), 0u);
}
