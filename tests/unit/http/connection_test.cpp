// http::serve_connection over socketpairs on a real io_uring: keep-alive,
// pipelined requests answered in order, Connection: close, HTTP/1.0,
// 100-continue, a limit's answer and close, the idle timeout (silence,
// and 408 for a request cut short), and https with implicit TLS.
#include "http/connection.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "io/live_set.hpp"
#include "io/ring.hpp"
#include "../proto/socket_client.hpp"

using namespace ringpost;
using namespace ringpost::http;
using namespace std::chrono_literals;
using proto::testing::Client;

namespace {

struct HttpServer {
    io::Ring ring{256};
    io::LiveSet live;
    ParserLimits limits;
    Router router;
    tls::ContextHolder* tls = nullptr;
    std::chrono::milliseconds idle = 5000ms;

    HttpServer() {
        ring.bind_thread();
        limits.max_body = 64;
        router.add(Method::kGet, "/echo", Access::kMonitoring, [](const Request& r, const Caller& c) -> io::Task<Response> {
            Response resp;
            resp.body = r.path + "?" + (r.param("n") ? *r.param("n") : "") + (c.tls ? " tls" : "");
            co_return resp;
        });
        router.add(Method::kPost, "/echo", Access::kMonitoring, [](const Request& r, const Caller&) -> io::Task<Response> {
            Response resp;
            resp.body = "got " + r.body;
            co_return resp;
        });
    }

    // The lambda is no coroutine: its captures die with it (serve's frame keeps its own copies).
    int connect(bool implicit_tls = false) {
        return proto::testing::serve_socketpair([this, implicit_tls](int fd) { return serve(fd, implicit_tls); });
    }

    io::Task<void> serve(int fd, bool implicit_tls) {
        ConnectionContext ctx{limits, router, {.idle = idle, .send = 5000ms, .tls_handshake = 5000ms}, live};
        ctx.tls = tls;
        ctx.implicit_tls = implicit_tls;
        auto serving = serve_connection(fd, Caller{"192.0.2.1", 1, false, true, {}}, ctx);
        co_await std::move(serving);
        ring.stop();
    }
};

struct Answer {
    std::string status;   // "HTTP/1.1 200 OK"
    std::vector<std::string> headers;
    std::string body;
    bool has(const std::string& header) const {
        for (const auto& h : headers)
            if (h == header) return true;
        return false;
    }
};

std::optional<Answer> read_answer(Client& c) {
    Answer a;
    auto status = c.line();
    if (!status) return std::nullopt;
    a.status = *status;
    size_t length = 0;
    for (;;) {
        auto h = c.line();
        if (!h) return std::nullopt;
        if (h->empty()) break;
        if (h->rfind("Content-Length: ", 0) == 0) length = std::stoul(h->substr(16));
        a.headers.push_back(*h);
    }
    auto body = c.bytes(length);
    if (!body) return std::nullopt;
    a.body = *body;
    return a;
}

}  // namespace

TEST(HttpConnection, KeepAliveAndPipelinedAnswersInOrder) {
    HttpServer server;
    const int fd = server.connect();
    std::vector<std::string> bodies;
    bool closed = false;
    std::thread client([&] {
        Client c(fd);
        c.send("GET /echo?n=1 HTTP/1.1\r\nHost: x\r\n\r\n");
        bodies.push_back(read_answer(c).value_or(Answer{}).body);
        c.send("GET /echo?n=2 HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
               "GET /echo?n=3 HTTP/1.1\r\nConnection: close\r\n\r\n");
        for (int i = 0; i < 3; ++i) {
            auto a = read_answer(c);
            bodies.push_back(a ? a->body : "EOF");
            if (i == 2 && a) closed = a->has("Connection: close");
        }
        closed = closed && c.closed_silently();
    });
    server.ring.run();
    client.join();
    EXPECT_EQ(bodies, (std::vector<std::string>{"/echo?1", "/echo?2", "got abc", "/echo?3"}));
    EXPECT_TRUE(closed);
    EXPECT_EQ(server.live.size(), 0u);
}

TEST(HttpConnection, Http10KeepAliveAndContinue) {
    HttpServer server;
    const int fd = server.connect();
    std::vector<std::string> seen;
    std::thread client([&] {
        Client c(fd);
        c.send("GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        auto a = read_answer(c);
        seen.push_back(a && a->has("Connection: keep-alive") ? "keep-alive" : "no");
        c.send("POST /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
        seen.push_back(c.line().value_or("EOF"));
        seen.push_back(c.line().value_or("EOF"));
        c.send("ok");
        a = read_answer(c);
        seen.push_back(a ? a->body : "EOF");
        c.send("GET /echo HTTP/1.0\r\n\r\n");
        a = read_answer(c);
        seen.push_back(a && a->has("Connection: close") && c.closed_silently() ? "closed" : "open");
    });
    server.ring.run();
    client.join();
    EXPECT_EQ(seen, (std::vector<std::string>{"keep-alive", "HTTP/1.1 100 Continue", "", "got ok", "closed"}));
}

TEST(HttpConnection, ALimitIsAnsweredThenTheConnectionCloses) {
    HttpServer server;
    const int fd = server.connect();
    std::optional<Answer> answer;
    bool closed = false;
    std::thread client([&] {
        Client c(fd);
        c.send("POST /echo HTTP/1.1\r\nContent-Length: 1000\r\n\r\n");
        answer = read_answer(c);
        closed = c.closed_silently();
    });
    server.ring.run();
    client.join();
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, "HTTP/1.1 413 Content Too Large");
    EXPECT_TRUE(answer->has("Connection: close"));
    EXPECT_TRUE(answer->has("Content-Type: application/json"));
    EXPECT_EQ(answer->body, "{\"error\": \"request body too large\"}\n");
    EXPECT_TRUE(closed);
}

TEST(HttpConnection, IdleTimeoutClosesSilentlyAndCutsAPartialRequestWith408) {
    HttpServer server;
    server.idle = 200ms;
    const int idle_fd = server.connect();
    bool silent = false;
    std::thread idle_client([&] {
        Client c(idle_fd);
        c.send("GET /echo HTTP/1.1\r\n\r\n");
        silent = read_answer(c).has_value() && c.closed_silently();
    });
    server.ring.run();
    idle_client.join();
    EXPECT_TRUE(silent);

    HttpServer server2;
    server2.idle = 200ms;
    const int partial_fd = server2.connect();
    std::optional<Answer> answer;
    std::thread partial_client([&] {
        Client c(partial_fd);
        c.send("GET /echo HTTP/1.1\r\nHost:");
        answer = read_answer(c);
    });
    server2.ring.run();
    partial_client.join();
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, "HTTP/1.1 408 Request Timeout");
}

TEST(HttpConnection, HttpsWithImplicitTls) {
    HttpServer server;
    proto::testing::TlsSetup tls("api.example.test");
    ASSERT_TRUE(tls.holder);
    server.tls = tls.holder.get();
    const int fd = server.connect(true);
    std::string body;
    std::thread client([&] {
        Client c(fd);
        if (!c.start_tls(tls.certs.cert, "api.example.test")) return;
        c.send("GET /echo?n=s HTTP/1.1\r\nConnection: close\r\n\r\n");
        body = read_answer(c).value_or(Answer{}).body;
    });
    server.ring.run();
    client.join();
    EXPECT_EQ(body, "/echo?s tls");
}
