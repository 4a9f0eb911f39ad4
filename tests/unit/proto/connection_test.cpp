// proto::Connection on a real io_uring over socketpairs, driven by a small
// line-echo protocol written the way the SMTP and POP3 drivers are: frame
// lines with the LineFramer, answer into out(), flush when the input is
// drained, fill() for more. The client is a blocking socket on a thread.
// Covers: pipelined lines answered with one flush, a buffer that grows for
// a long line and shrinks back, an overlong line skipped, the input limit
// (kStall), end of stream, the deadline (a trickle does not stretch it), a
// graceful-shutdown cancel, the reasons the connection records, and
// STARTTLS (input pipelined behind it discarded, then the same loop over
// TLS; refused without a context).
#include "proto/connection.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "io/live_set.hpp"
#include "io/ring.hpp"
#include "proto/line_framer.hpp"
#include "socket_client.hpp"

using namespace ringpost;
using namespace ringpost::proto;
using namespace std::chrono_literals;
using proto::testing::Client;
using proto::testing::TlsSetup;

namespace {

constexpr const char* kHost = "echo.example.test";

struct EchoServer {
    io::Ring ring{256};
    io::LiveSet live;
    tls::ContextHolder* tls = nullptr;
    size_t initial = 16;
    size_t limit = 256;
    size_t framer_limit = 0;   // 0: as the buffer's limit
    io::Duration wait = 5000ms;

    // What the loop saw, read after ring.run() returns.
    ReadResult ended = ReadResult::kData;   // the read that ended it (kData: QUIT)
    bool secured = false;
    std::string reason;   // the connection's, at the end
    bool encrypted = false;
    int flushes = 0;
    std::vector<size_t> capacities;   // after each fill()
    std::chrono::steady_clock::duration last_wait{};

    EchoServer() { ring.bind_thread(); }

    int connect() {
        return proto::testing::serve_socketpair([this](int fd) { return serve(fd); });
    }

    // Answers every complete line; stops at QUIT, STARTTLS or the end of the input.
    enum class Step { kRead, kQuit, kStartTls };
    Step answer(Connection& conn, LineFramer& framer) {
        for (;;) {
            LineFramer::Frame f = framer.peek(conn.input(), 0, framer_limit != 0 ? framer_limit : limit);
            conn.consume(framer.take(f));
            if (f.kind == LineFramer::Kind::kNeedInput) return Step::kRead;
            if (f.kind == LineFramer::Kind::kOverlong) {
                conn.out() += "overlong\r\n";
            } else if (f.line == "QUIT") {
                conn.out() += "bye\r\n";
                return Step::kQuit;
            } else if (f.line == "STARTTLS") {
                conn.out() += "go ahead\r\n";
                return Step::kStartTls;
            } else {
                conn.out() += "echo " + std::string(f.line) + "\r\n";
            }
        }
    }

    io::Task<void> serve(int fd) {
        ConnectionOptions options;
        options.proto = "echo";
        options.client_ip = "192.0.2.7";
        options.input_initial = initial;
        options.input_limit = limit;
        options.handshake_timeout = 5000ms;
        options.idle_timeout = wait;
        Connection conn(fd, live, options);
        LineFramer framer;
        conn.restart_deadline();
        for (;;) {
            const Step step = answer(conn, framer);
            if (step == Step::kQuit) {
                auto ending = conn.hang_up("quit");
                co_await std::move(ending);
                break;
            }
            if (step == Step::kStartTls) {
                auto starting = conn.start_tls_after_reply(tls);
                secured = co_await std::move(starting);
                if (!secured) break;
                encrypted = conn.tls() != nullptr;
                framer.reset();
                continue;
            }
            if (!conn.out().empty()) ++flushes;
            auto answering = conn.answer();
            if (!(co_await std::move(answering))) break;
            const auto began = std::chrono::steady_clock::now();
            auto reading = conn.fill();
            const ReadResult r = co_await reading;
            capacities.push_back(conn.input_capacity());
            last_wait = std::chrono::steady_clock::now() - began;
            if (r != ReadResult::kData) {
                ended = r;
                auto ending = conn.hang_up(r);
                co_await std::move(ending);
                break;
            }
        }
        reason = conn.reason();
        auto closing = conn.finish();
        co_await std::move(closing);
        ring.stop();
    }
};

}  // namespace

TEST(ProtoConnection, PipelinedLinesAreAnsweredInOrderWithOneFlush) {
    EchoServer server;
    server.initial = 64;   // the three lines arrive in one read
    const int fd = server.connect();
    std::vector<std::string> replies;
    std::thread client([&] {
        Client c(fd);
        c.send("one\r\ntwo\r\nthree\r\n");
        for (int i = 0; i < 3; ++i) replies.push_back(c.line().value_or("EOF"));
        c.send("QUIT\r\n");
        replies.push_back(c.line().value_or("EOF"));
        replies.push_back(c.closed_silently() ? "closed" : "open");
    });
    server.ring.run();
    client.join();
    EXPECT_EQ(replies, (std::vector<std::string>{"echo one", "echo two", "echo three", "bye", "closed"}));
    EXPECT_EQ(server.flushes, 1);
    EXPECT_EQ(server.ended, ReadResult::kData);
    EXPECT_EQ(server.live.size(), 0u);
}

TEST(ProtoConnection, TheBufferGrowsForALongLineAndShrinksWhenIdle) {
    EchoServer server;
    const int fd = server.connect();
    const std::string long_line(200, 'L');
    std::vector<std::string> replies;
    std::thread client([&] {
        Client c(fd);
        c.send(long_line + "\r\n");
        replies.push_back(c.line().value_or("EOF"));
        c.send("x\r\n");
        replies.push_back(c.line().value_or("EOF"));
    });   // then closes: end of stream
    server.ring.run();
    client.join();
    EXPECT_EQ(replies, (std::vector<std::string>{"echo " + long_line, "echo x"}));
    EXPECT_EQ(server.ended, ReadResult::kEof);
    EXPECT_EQ(server.reason, "eof");
    ASSERT_FALSE(server.capacities.empty());
    EXPECT_EQ(*std::max_element(server.capacities.begin(), server.capacities.end()), server.limit);
    EXPECT_EQ(server.capacities.back(), server.initial);   // waiting for more with the small buffer
}

TEST(ProtoConnection, AnOverlongLineIsSkippedAndTheSessionStaysInStep) {
    EchoServer server;
    const int fd = server.connect();
    std::vector<std::string> replies;
    std::thread client([&] {
        Client c(fd);
        c.send(std::string(5000, 'o'));   // more than the limit before its end arrives
        c.send("\r\nafter\r\nQUIT\r\n");
        for (int i = 0; i < 3; ++i) replies.push_back(c.line().value_or("EOF"));
    });
    server.ring.run();
    client.join();
    EXPECT_EQ(replies, (std::vector<std::string>{"overlong", "echo after", "bye"}));
    EXPECT_EQ(server.reason, "quit");
    for (size_t cap : server.capacities) EXPECT_LE(cap, server.limit);
}

TEST(ProtoConnection, InputThatIsNeverConsumedStopsAtTheLimit) {
    EchoServer server;
    // The framer would wait for a longer line than the buffer holds: the
    // unconsumed bytes fill it and the driver has to give up.
    server.limit = 64;
    server.framer_limit = 1000;
    const int fd = server.connect();
    bool closed = false;
    std::thread client([&] {
        Client c(fd);
        c.send(std::string(100, 'p'));
        // Closed with bytes unread: end of stream or a reset, never an answer.
        closed = !c.line().has_value();
    });
    server.ring.run();
    client.join();
    EXPECT_EQ(server.ended, ReadResult::kStall);
    EXPECT_EQ(server.reason, "error");
    EXPECT_EQ(server.capacities.back(), 64u);
    EXPECT_TRUE(closed);
}

TEST(ProtoConnection, HangingUpWithInputUnreadStillDeliversTheLastReply) {
    EchoServer server;
    server.limit = 4096;   // initial 16: the first read takes only part of the burst
    const int fd = server.connect();
    std::string reply;
    bool closed = false;
    std::thread client([&] {
        Client c(fd);
        c.send("QUIT\r\n" + std::string(3000, 'g'));   // one burst: QUIT and what follows it
        reply = c.line().value_or("EOF");
        closed = c.closed_silently();   // a FIN; a reset would read as an error here
    });
    server.ring.run();
    client.join();
    EXPECT_EQ(reply, "bye");
    EXPECT_TRUE(closed);
}

TEST(ProtoConnection, ReadTimeout) {
    EchoServer server;
    server.wait = 150ms;
    const int fd = server.connect();
    bool closed = false;
    std::thread client([&] {
        Client c(fd);
        closed = c.closed_silently();   // sends nothing
    });
    server.ring.run();
    client.join();
    EXPECT_EQ(server.ended, ReadResult::kTimeout);
    EXPECT_EQ(server.reason, "timeout");
    EXPECT_GE(server.last_wait, 100ms);   // the deadline started a little before the read
    EXPECT_TRUE(closed);
}

TEST(ProtoConnection, ATrickleDoesNotStretchTheDeadline) {
    EchoServer server;
    server.wait = 300ms;
    const int fd = server.connect();
    bool closed = false;
    std::thread client([&] {
        Client c(fd);
        // A byte every 50 ms, never a whole line: each read brings data,
        // but only an answer restarts the deadline.
        for (int i = 0; i < 20; ++i) {
            c.send("t");
            std::this_thread::sleep_for(50ms);
        }
        closed = c.closed_silently();
    });
    server.ring.run();
    client.join();
    EXPECT_EQ(server.ended, ReadResult::kTimeout);
    EXPECT_TRUE(closed);
}

TEST(ProtoConnection, GracefulShutdownCancelsTheRead) {
    EchoServer server;
    const int fd = server.connect();
    std::string reply;
    bool closed = false;
    std::thread client([&] {
        Client c(fd);
        c.send("hello\r\n");
        reply = c.line().value_or("EOF");
        server.ring.post([&server] {
            server.live.set_draining();
            server.live.cancel_all(false);
        });
        closed = c.closed_silently();
    });
    server.ring.run();
    client.join();
    EXPECT_EQ(reply, "echo hello");
    EXPECT_EQ(server.ended, ReadResult::kShutdown);
    EXPECT_EQ(server.reason, "shutdown");
    EXPECT_TRUE(closed);
    EXPECT_EQ(server.live.size(), 0u);
}

TEST(ProtoConnection, StartTlsDiscardsPipelinedInputAndGoesOnOverTls) {
    TlsSetup setup{kHost};
    ASSERT_TRUE(setup.holder);
    EchoServer server;
    server.tls = setup.holder.get();
    server.initial = 64;   // STARTTLS and the injected line arrive in one read
    const int fd = server.connect();
    std::vector<std::string> replies;
    bool handshake = false;
    std::thread client([&] {
        Client c(fd);
        c.send("STARTTLS\r\ninjected\r\n");   // one write: the second line came in clear
        replies.push_back(c.line().value_or("EOF"));
        handshake = c.start_tls(setup.certs.cert, kHost);
        c.send("hello\r\nQUIT\r\n");
        for (int i = 0; i < 2; ++i) replies.push_back(c.line().value_or("EOF"));
    });
    server.ring.run();
    client.join();
    ASSERT_TRUE(handshake);
    EXPECT_EQ(replies, (std::vector<std::string>{"go ahead", "echo hello", "bye"}));
    EXPECT_TRUE(server.secured);
    EXPECT_TRUE(server.encrypted);
}

TEST(ProtoConnection, StartTlsWithoutAContextIsUnavailable) {
    EchoServer server;
    const int fd = server.connect();
    std::string reply;
    std::thread client([&] {
        Client c(fd);
        c.send("STARTTLS\r\n");
        reply = c.line().value_or("EOF");
        c.closed_silently();
    });
    server.ring.run();
    client.join();
    EXPECT_EQ(reply, "go ahead");
    EXPECT_FALSE(server.secured);
    EXPECT_EQ(server.reason, "tls_failed");   // the default tls_unavailable_reason
}

TEST(ProtoConnection, ATimeoutOverTls) {
    TlsSetup setup{kHost};
    ASSERT_TRUE(setup.holder);
    EchoServer server;
    server.tls = setup.holder.get();
    server.wait = 150ms;
    const int fd = server.connect();
    bool handshake = false;
    std::thread client([&] {
        Client c(fd);
        c.send("STARTTLS\r\n");
        c.line();
        handshake = c.start_tls(setup.certs.cert, kHost);
        c.closed_silently();
    });
    server.ring.run();
    client.join();
    ASSERT_TRUE(handshake);
    EXPECT_EQ(server.ended, ReadResult::kTimeout);
}
