// read_proxy_header() on a real io_uring over socketpairs: the header is
// taken off the socket and not one byte more, however the bytes arrive
// (with the client's first bytes in the same write, or a byte at a time);
// a peer that sends nothing times out, one that closes is an end of
// stream, garbage is refused, and graceful shutdown cancels the wait.
#include "proto/proxy_reader.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "io/live_set.hpp"
#include "io/ring.hpp"
#include "socket_client.hpp"

using namespace ringpost;
using namespace ringpost::proto;
using namespace std::chrono_literals;

namespace {

struct HeaderServer {
    io::Ring ring{64};
    io::LiveSet live;
    io::LiveEntry entry;
    io::Duration timeout = 5000ms;
    ProxyRead result;
    int fd = -1;   // the server's end, left open for what follows the header
    bool reading = false;

    HeaderServer() { ring.bind_thread(); }

    int connect() {
        return proto::testing::serve_socketpair([this](int server_fd) { return serve(server_fd); });
    }

    io::Task<void> serve(int server_fd) {
        fd = server_fd;
        live.add(entry);
        reading = true;
        auto read = read_proxy_header(fd, timeout, &entry.slot);
        result = co_await std::move(read);
        reading = false;
        live.remove(entry);
        ring.stop();
    }

    // What the client sent behind the header, up to its end of stream.
    std::string rest() const {
        std::string out;
        char buf[256];
        for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, size_t(n));
        return out;
    }

    ~HeaderServer() {
        if (fd >= 0) ::close(fd);
    }
};

std::string source_ip(const ProxyRead& r) {
    char buf[INET6_ADDRSTRLEN] = "";
    const auto* a = reinterpret_cast<const sockaddr_in*>(&r.header.source);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    return buf;
}

// Sends `parts` one write each, a little apart, then closes.
void send_parts(int fd, std::initializer_list<std::string> parts) {
    proto::testing::Client c(fd);
    for (const auto& p : parts) {
        c.send(p);
        std::this_thread::sleep_for(5ms);
    }
}

// PROXY, TCP over IPv4, 12 bytes: 192.0.2.10:51000 -> 198.51.100.1:25.
const std::string kV2 = std::string(kProxyV2Signature) + std::string("\x21\x11\x00\x0c", 4) +
                        std::string("\xc0\x00\x02\x0a\xc6\x33\x64\x01\xc7\x38\x00\x19", 12);
const std::string kClientHello("\x16\x03\x01\x00\x05hello", 10);

TEST(ProxyReader, V1HeaderAndTheClientsBytesInOneWrite) {
    HeaderServer server;
    const int fd = server.connect();
    std::thread client([fd] { send_parts(fd, {"PROXY TCP4 192.0.2.10 198.51.100.1 51000 25\r\nEHLO x\r\n"}); });
    server.ring.run();
    client.join();
    ASSERT_EQ(server.result.status, ProxyRead::Status::kOk) << server.result.reason;
    EXPECT_EQ(source_ip(server.result), "192.0.2.10");
    EXPECT_EQ(server.rest(), "EHLO x\r\n");
}

TEST(ProxyReader, V2HeaderAByteAtATimeThenATlsClientHello) {
    HeaderServer server;
    const int fd = server.connect();
    std::thread client([fd] {
        proto::testing::Client c(fd);
        for (char ch : kV2) {
            c.send(std::string(1, ch));
            std::this_thread::sleep_for(1ms);
        }
        c.send(kClientHello);
    });
    server.ring.run();
    client.join();
    ASSERT_EQ(server.result.status, ProxyRead::Status::kOk) << server.result.reason;
    EXPECT_EQ(server.result.header.version, 2);
    EXPECT_EQ(source_ip(server.result), "192.0.2.10");
    EXPECT_EQ(server.rest(), kClientHello);
}

TEST(ProxyReader, V1InPiecesWithTheNextBytesBehindTheLastOne) {
    HeaderServer server;
    const int fd = server.connect();
    std::thread client([fd] { send_parts(fd, {"PROXY TCP4 192.0.2", ".10 198.51.100.1 5", "1000 25\r", "\nQUIT\r\n"}); });
    server.ring.run();
    client.join();
    ASSERT_EQ(server.result.status, ProxyRead::Status::kOk) << server.result.reason;
    EXPECT_EQ(source_ip(server.result), "192.0.2.10");
    EXPECT_EQ(server.rest(), "QUIT\r\n");
}

TEST(ProxyReader, ALocalHealthCheckHasNoAddresses) {
    HeaderServer server;
    const int fd = server.connect();
    std::thread client([fd] { send_parts(fd, {std::string(kProxyV2Signature) + std::string("\x20\x00\x00\x00", 4)}); });
    server.ring.run();
    client.join();
    ASSERT_EQ(server.result.status, ProxyRead::Status::kOk) << server.result.reason;
    EXPECT_FALSE(server.result.header.has_addresses);
    EXPECT_EQ(server.rest(), "");
}

TEST(ProxyReader, GarbageIsRefused) {
    HeaderServer server;
    const int fd = server.connect();
    std::thread client([fd] { send_parts(fd, {"EHLO client.example\r\n"}); });
    server.ring.run();
    client.join();
    EXPECT_EQ(server.result.status, ProxyRead::Status::kInvalid);
    EXPECT_STREQ(server.result.reason, "not_proxy");
}

TEST(ProxyReader, ASilentPeerTimesOut) {
    HeaderServer server;
    server.timeout = 100ms;
    const int fd = server.connect();
    const auto began = std::chrono::steady_clock::now();
    std::thread client([fd] {
        proto::testing::Client c(fd);
        c.send("PROXY TCP4 ");   // and then nothing until the server gave up
        std::this_thread::sleep_for(400ms);
    });
    server.ring.run();
    const auto waited = std::chrono::steady_clock::now() - began;
    client.join();
    EXPECT_EQ(server.result.status, ProxyRead::Status::kTimeout);
    EXPECT_STREQ(server.result.reason, "timeout");
    EXPECT_GE(waited, 90ms);
    EXPECT_LT(waited, 350ms);
}

TEST(ProxyReader, APeerThatClosesFirstIsAnEndOfStream) {
    HeaderServer server;
    const int fd = server.connect();
    std::thread client([fd] { send_parts(fd, {"PROXY TCP4 192.0.2.10"}); });
    server.ring.run();
    client.join();
    EXPECT_EQ(server.result.status, ProxyRead::Status::kEof);
}

TEST(ProxyReader, GracefulShutdownCancelsTheWait) {
    HeaderServer server;
    const int fd = server.connect();
    proto::testing::Client c(fd);
    io::spawn([](HeaderServer& s) -> io::Task<void> {
        co_await io::sleep_for(50ms);
        s.live.cancel_all(false);
    }(server));
    server.ring.run();
    EXPECT_EQ(server.result.status, ProxyRead::Status::kShutdown);
    EXPECT_EQ(server.live.size(), 0u);
}

}  // namespace
