// TlsStream pairs (server and client) over socketpairs on one real Ring,
// each side a coroutine: TLS 1.3 and forced TLS 1.2, 5 MiB both ways at
// once, many small writes, recv timeout and cancellation, the peer closing
// (close_notify or just the socket), junk instead of a ClientHello, a
// handshake timeout, certificate verification with the right and a wrong
// name, a context reload under a live session, and the memory an idle
// session holds (printed, not asserted tightly).
#include "tls/tls_stream.hpp"

#include <gtest/gtest.h>
#include <malloc.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "io/ops.hpp"
#include "tls/context.hpp"
#include "tls_test_util.hpp"

using namespace ringpost;
using namespace ringpost::tls;
using namespace std::chrono_literals;
using ringpost::tls::testing::Certs;
using ringpost::tls::testing::client_config;
using ringpost::tls::testing::server_config;
using ringpost::tls::testing::run_all;

namespace {

constexpr const char* kHost = "mx.example.test";

std::shared_ptr<ServerContext> server_ctx(const Certs& certs, const std::string& max_version = "") {
    ServerConfig c = server_config(certs.cert, certs.key);
    c.max_version = max_version;
    auto r = ServerContext::create(c);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r.value() : nullptr;
}

std::shared_ptr<ClientContext> client_ctx(const std::string& ca_file = "") {
    auto r = ClientContext::create(client_config(ca_file));
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r.value() : nullptr;
}

struct Pair {
    std::unique_ptr<TlsStream> server;
    std::unique_ptr<TlsStream> client;
};

Pair make_pair(std::shared_ptr<ServerContext> sctx, std::shared_ptr<ClientContext> cctx,
               const std::string& host = kHost, bool verify = false) {
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    return Pair{TlsStream::server(sv[0], std::move(sctx)), TlsStream::client(sv[1], std::move(cctx), host, verify)};
}

io::Task<void> handshake(TlsStream* s, Result<void>* out, io::Duration timeout = 3000ms) {
    *out = co_await s->handshake(timeout);
}

// Both sides of a pair, concurrently; true if both succeeded.
bool handshake_pair(Pair& p, Result<void>* server_result = nullptr, Result<void>* client_result = nullptr) {
    Result<void> s, c;
    std::vector<io::Task<void>> tasks;
    tasks.push_back(handshake(p.server.get(), &s));
    tasks.push_back(handshake(p.client.get(), &c));
    run_all(std::move(tasks));
    if (server_result) *server_result = s;
    if (client_result) *client_result = c;
    return s.ok() && c.ok();
}

std::string pattern(size_t n, uint32_t seed) {
    std::string s(n, '\0');
    uint32_t x = seed | 1;
    for (auto& ch : s) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        ch = static_cast<char>(x);
    }
    return s;
}

io::Task<void> send_chunks(TlsStream* s, const std::string* data, size_t chunk, bool* ok) {
    *ok = true;
    for (size_t off = 0; off < data->size(); off += chunk) {
        std::string piece = data->substr(off, chunk);
        if (!(co_await s->send_all(piece, 3000ms))) {
            *ok = false;
            co_return;
        }
    }
}

io::Task<void> recv_until(TlsStream* s, size_t expect, std::string* got, int* last) {
    std::vector<char> buf(7000);   // odd size: records get split across reads
    while (got->size() < expect) {
        int n = co_await s->recv(buf.data(), buf.size(), 3000ms);
        *last = n;
        if (n <= 0) co_return;
        got->append(buf.data(), static_cast<size_t>(n));
    }
}

io::Task<void> recv_once(TlsStream* s, io::Duration timeout, int* result, std::string* got = nullptr,
                         io::CancelSlot* slot = nullptr) {
    char buf[256];
    *result = co_await s->recv(buf, sizeof buf, timeout, slot);
    if (got && *result > 0) got->assign(buf, static_cast<size_t>(*result));
}

io::Task<void> send_text(TlsStream* s, std::string text, bool* ok) {
    *ok = co_await s->send_all(text, 1000ms);
}

io::Task<void> close_stream(TlsStream* s) { co_await s->close(1000ms); }

// 5 MiB each way at the same time: each stream has a send and a recv in flight.
void transfer_both_ways(Pair& p) {
    const std::string to_client = pattern(5 << 20, 1), to_server = pattern(5 << 20, 2);
    std::string at_client, at_server;
    bool sent1 = false, sent2 = false;
    int last1 = 0, last2 = 0;
    std::vector<io::Task<void>> tasks;
    tasks.push_back(send_chunks(p.server.get(), &to_client, 256 * 1024, &sent1));
    tasks.push_back(send_chunks(p.client.get(), &to_server, 100 * 1000, &sent2));
    tasks.push_back(recv_until(p.client.get(), to_client.size(), &at_client, &last1));
    tasks.push_back(recv_until(p.server.get(), to_server.size(), &at_server, &last2));
    run_all(std::move(tasks));
    EXPECT_TRUE(sent1);
    EXPECT_TRUE(sent2);
    EXPECT_TRUE(at_client == to_client) << at_client.size() << " bytes, last recv " << last1;
    EXPECT_TRUE(at_server == to_server) << at_server.size() << " bytes, last recv " << last2;
}

}  // namespace

TEST(TlsStream, Tls13HandshakeAndFiveMiBBothWays) {
    Certs certs;
    Pair p = make_pair(server_ctx(certs), client_ctx());
    ASSERT_TRUE(p.server && p.client);
    EXPECT_EQ(p.server->tls_version(), "");
    ASSERT_TRUE(handshake_pair(p));
    EXPECT_EQ(p.server->tls_version(), "TLSv1.3");
    EXPECT_EQ(p.client->tls_version(), "TLSv1.3");
    EXPECT_EQ(p.server->tls_cipher(), p.client->tls_cipher());
    EXPECT_EQ(p.server->tls_cipher().rfind("TLS_", 0), 0u) << p.server->tls_cipher();
    EXPECT_GE(p.server->tls_cipher_bits(), 128);
    // Not verified (self-signed, system trust store), but encrypted.
    EXPECT_FALSE(p.client->peer_verified());
    EXPECT_NE(p.client->verify_error(), "");
    transfer_both_ways(p);
}

TEST(TlsStream, ForcedTls12HandshakeAndFiveMiBBothWays) {
    Certs certs;
    Pair p = make_pair(server_ctx(certs, "TLSv1.2"), client_ctx());
    ASSERT_TRUE(handshake_pair(p));
    EXPECT_EQ(p.server->tls_version(), "TLSv1.2");
    EXPECT_EQ(p.client->tls_version(), "TLSv1.2");
    EXPECT_EQ(p.server->tls_cipher().rfind("ECDHE-ECDSA-", 0), 0u) << p.server->tls_cipher();
    transfer_both_ways(p);
}

// The peer asks for new keys (TLS 1.3 KeyUpdate, update_requested) again
// and again while our side is sending: every read then produces output of
// its own, which must go out in order with the running send's records.
TEST(TlsStream, KeyUpdatesDuringFullDuplexTraffic) {
    Certs certs;
    Pair p = make_pair(server_ctx(certs), client_ctx());
    ASSERT_TRUE(handshake_pair(p));
    const std::string to_client = pattern(2 << 20, 5), to_server = pattern(2 << 20, 6);
    std::string at_client, at_server;
    bool sent1 = false, sent2 = false;
    int last1 = 0, last2 = 0;
    auto updating_sender = [](TlsStream* s, const std::string* data, bool* ok) -> io::Task<void> {
        *ok = true;
        for (size_t off = 0; off < data->size(); off += 32 * 1024) {
            if (SSL_key_update(s->native_handle(), SSL_KEY_UPDATE_REQUESTED) != 1) *ok = false;
            std::string piece = data->substr(off, 32 * 1024);
            if (!(co_await s->send_all(piece, 3000ms))) {
                *ok = false;
                co_return;
            }
        }
    };
    std::vector<io::Task<void>> tasks;
    tasks.push_back(send_chunks(p.server.get(), &to_client, 256 * 1024, &sent1));
    tasks.push_back(updating_sender(p.client.get(), &to_server, &sent2));
    tasks.push_back(recv_until(p.client.get(), to_client.size(), &at_client, &last1));
    tasks.push_back(recv_until(p.server.get(), to_server.size(), &at_server, &last2));
    run_all(std::move(tasks));
    EXPECT_TRUE(sent1);
    EXPECT_TRUE(sent2);
    EXPECT_TRUE(at_client == to_client) << at_client.size() << " bytes, last recv " << last1;
    EXPECT_TRUE(at_server == to_server) << at_server.size() << " bytes, last recv " << last2;
}

// The same, made deterministic: a KeyUpdate the client has scheduled is
// written by its next SSL_read, in recv(). That record is stuck behind a
// full socket when the application calls send_all, which must wait for the
// read side's flush (and let it carry its own record, in order) instead of
// sending alongside.
TEST(TlsStream, SendWaitsForAReadSideFlush) {
    Certs certs;
    Pair p = make_pair(server_ctx(certs), client_ctx());
    ASSERT_TRUE(handshake_pair(p));
    {   // the client reads the session ticket: no TLS bytes left in the socket
        bool sent = false;
        int n = 0;
        std::string got;
        std::vector<io::Task<void>> tasks;
        tasks.push_back(send_text(p.server.get(), "220 ready\r\n", &sent));
        tasks.push_back(recv_once(p.client.get(), 1000ms, &n, &got));
        run_all(std::move(tasks));
        ASSERT_EQ(got, "220 ready\r\n");
    }
    // Fill the client's socket with filler bytes (outside TLS; the server
    // skips them raw) so that its next send blocks.
    size_t filler = 0;
    const std::string block(4096, 'x');
    for (;;) {
        ssize_t n = ::send(p.client->fd(), block.data(), block.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n <= 0) break;
        filler += static_cast<size_t>(n);
    }
    ASSERT_GT(filler, 0u);
    ASSERT_EQ(SSL_key_update(p.client->native_handle(), SSL_KEY_UPDATE_REQUESTED), 1);

    std::string client_got, server_got;
    bool pong_sent = false, bye_sent = false;
    auto writer = [](TlsStream* c, bool* ok) -> io::Task<void> {
        co_await io::sleep_for(20ms);   // the reader is now stuck flushing the KeyUpdate
        std::string text = "pong";
        *ok = co_await c->send_all(text, 3000ms);
    };
    auto server = [](TlsStream* s, size_t filler, std::string* got, bool* ok) -> io::Task<void> {
        co_await io::sleep_for(60ms);
        std::vector<char> raw(64 * 1024);
        for (size_t left = filler; left > 0;) {
            int n = co_await io::recv(s->fd(), raw.data(), std::min(left, raw.size()), 1000ms);
            if (n <= 0) co_return;
            left -= static_cast<size_t>(n);
        }
        char buf[64];
        int n = co_await s->recv(buf, sizeof buf, 3000ms);
        if (n > 0) got->assign(buf, static_cast<size_t>(n));
        std::string bye = "bye";
        *ok = co_await s->send_all(bye, 1000ms);
    };
    int n = 0;
    std::vector<io::Task<void>> tasks;
    tasks.push_back(recv_once(p.client.get(), 3000ms, &n, &client_got));
    tasks.push_back(writer(p.client.get(), &pong_sent));
    tasks.push_back(server(p.server.get(), filler, &server_got, &bye_sent));
    run_all(std::move(tasks));
    EXPECT_TRUE(pong_sent);
    EXPECT_EQ(server_got, "pong");
    EXPECT_TRUE(bye_sent);
    EXPECT_EQ(client_got, "bye");
}

TEST(TlsStream, ManySmallWritesArriveInOrder) {
    Certs certs;
    Pair p = make_pair(server_ctx(certs), client_ctx());
    ASSERT_TRUE(handshake_pair(p));
    std::string all;
    std::vector<std::string> pieces;
    for (int i = 0; i < 3000; ++i) {
        pieces.push_back(pattern(1 + i % 97, static_cast<uint32_t>(i + 7)));
        all += pieces.back();
    }
    bool ok = true;
    std::string got;
    int last = 0;
    auto writer = [](TlsStream* s, const std::vector<std::string>* pieces, bool* ok) -> io::Task<void> {
        for (const auto& piece : *pieces) {
            std::string copy = piece;
            if (!(co_await s->send_all(copy, 1000ms))) {
                *ok = false;
                co_return;
            }
        }
    };
    std::vector<io::Task<void>> tasks;
    tasks.push_back(writer(p.client.get(), &pieces, &ok));
    tasks.push_back(recv_until(p.server.get(), all.size(), &got, &last));
    run_all(std::move(tasks));
    EXPECT_TRUE(ok);
    EXPECT_TRUE(got == all) << got.size() << " of " << all.size();
}

TEST(TlsStream, RecvTimesOutWithEtimeAndStaysUsable) {
    Certs certs;
    Pair p = make_pair(server_ctx(certs), client_ctx());
    ASSERT_TRUE(handshake_pair(p));

    int result = 1;
    auto start = std::chrono::steady_clock::now();
    {
        std::vector<io::Task<void>> tasks;
        tasks.push_back(recv_once(p.server.get(), 50ms, &result));
        run_all(std::move(tasks));
    }
    EXPECT_EQ(result, -ETIME);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 40ms);

    // The stream goes on after a timeout.
    bool sent = false;
    std::string got;
    {
        std::vector<io::Task<void>> tasks;
        tasks.push_back(recv_once(p.server.get(), 1000ms, &result, &got));
        tasks.push_back(send_text(p.client.get(), "EHLO after timeout\r\n", &sent));
        run_all(std::move(tasks));
    }
    EXPECT_TRUE(sent);
    EXPECT_EQ(got, "EHLO after timeout\r\n");
}

TEST(TlsStream, CancelSlotCancelsAnIdleRecv) {
    Certs certs;
    Pair p = make_pair(server_ctx(certs), client_ctx());
    ASSERT_TRUE(handshake_pair(p));
    io::CancelSlot slot;
    int result = 1;
    auto canceller = [](io::CancelSlot* slot) -> io::Task<void> {
        co_await io::sleep_for(10ms);
        slot->cancel();
    };
    std::vector<io::Task<void>> tasks;
    tasks.push_back(recv_once(p.server.get(), 0ms, &result, nullptr, &slot));
    tasks.push_back(canceller(&slot));
    run_all(std::move(tasks));
    EXPECT_EQ(result, -ECANCELED);
}

TEST(TlsStream, PeerCloseNotifyReadsAsEnd) {
    Certs certs;
    Pair p = make_pair(server_ctx(certs), client_ctx());
    ASSERT_TRUE(handshake_pair(p));
    int result = 1;
    std::vector<io::Task<void>> tasks;
    tasks.push_back(recv_once(p.server.get(), 1000ms, &result));
    tasks.push_back(close_stream(p.client.get()));
    run_all(std::move(tasks));
    EXPECT_EQ(result, 0);
    EXPECT_EQ(p.client->fd(), -1);
}

TEST(TlsStream, PeerSocketCloseReadsAsEnd) {
    Certs certs;
    Pair p = make_pair(server_ctx(certs), client_ctx());
    ASSERT_TRUE(handshake_pair(p));
    // The client reads what the server sent (its TLS 1.3 session ticket,
    // then a line): a socket closed with unread input would make the
    // kernel report ECONNRESET to the peer instead of an orderly end.
    bool sent = false;
    int result = 1;
    std::string got;
    {
        std::vector<io::Task<void>> tasks;
        tasks.push_back(send_text(p.server.get(), "220 ready\r\n", &sent));
        tasks.push_back(recv_once(p.client.get(), 1000ms, &result, &got));
        run_all(std::move(tasks));
    }
    EXPECT_EQ(got, "220 ready\r\n");
    p.client.reset();   // closes the socket, no close_notify
    {
        std::vector<io::Task<void>> tasks;
        tasks.push_back(recv_once(p.server.get(), 1000ms, &result));
        run_all(std::move(tasks));
    }
    EXPECT_EQ(result, 0);
}

TEST(TlsStream, PeerResetReadsAsError) {
    Certs certs;
    Pair p = make_pair(server_ctx(certs), client_ctx());
    ASSERT_TRUE(handshake_pair(p));
    p.client.reset();   // the server's session ticket is still unread
    int result = 1;
    std::vector<io::Task<void>> tasks;
    tasks.push_back(recv_once(p.server.get(), 1000ms, &result));
    run_all(std::move(tasks));
    EXPECT_EQ(result, -ECONNRESET);
}

TEST(TlsStream, JunkInsteadOfClientHelloFailsTheHandshake) {
    Certs certs;
    auto sctx = server_ctx(certs);
    const std::string junks[] = {
        "GET / HTTP/1.1\r\nHost: mx\r\n\r\n",
        "EHLO client.example\r\nMAIL FROM:<a@b>\r\n",
        std::string("\x16\x03\x01\x00\x30", 5) + pattern(48, 3),   // a handshake record of noise
        pattern(4000, 9),
    };
    for (const auto& junk : junks) {
        int sv[2];
        ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        auto server = TlsStream::server(sv[0], sctx);
        ASSERT_EQ(::write(sv[1], junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
        Result<void> r;
        std::vector<io::Task<void>> tasks;
        tasks.push_back(handshake(server.get(), &r, 1000ms));
        run_all(std::move(tasks));
        ASSERT_FALSE(r.ok());
        EXPECT_NE(r.error().message.find("TLS handshake failed"), std::string::npos) << r.error().message;
        EXPECT_EQ(server->last_error(), r.error().message);
        EXPECT_EQ(server->tls_version(), "");
        // Unusable now, but closes cleanly.
        int got = 1;
        std::vector<io::Task<void>> after;
        after.push_back(recv_once(server.get(), 100ms, &got));
        after.push_back(close_stream(server.get()));
        run_all(std::move(after));
        EXPECT_EQ(got, -EPROTO);
        ::close(sv[1]);
    }
}

TEST(TlsStream, HandshakeTimesOutAndPeerCloseDuringHandshakeFails) {
    Certs certs;
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    auto server = TlsStream::server(sv[0], server_ctx(certs));
    Result<void> r;
    auto start = std::chrono::steady_clock::now();
    {
        std::vector<io::Task<void>> tasks;
        tasks.push_back(handshake(server.get(), &r, 80ms));
        run_all(std::move(tasks));
    }
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, std::errc::stream_timeout);
    EXPECT_NE(r.error().message.find("timed out"), std::string::npos) << r.error().message;
    EXPECT_GE(std::chrono::steady_clock::now() - start, 70ms);
    ::close(sv[1]);

    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    auto client = TlsStream::client(sv[0], client_ctx(), kHost, false);
    ::close(sv[1]);
    {
        std::vector<io::Task<void>> tasks;
        tasks.push_back(handshake(client.get(), &r, 1000ms));
        run_all(std::move(tasks));
    }
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("TLS handshake failed"), std::string::npos) << r.error().message;
}

TEST(TlsStream, VerifySucceedsWithTheRightNameAgainstCaFile) {
    Certs certs;
    Pair p = make_pair(server_ctx(certs), client_ctx(certs.cert), kHost, true);
    Result<void> s, c;
    ASSERT_TRUE(handshake_pair(p, &s, &c)) << s.error().message << " / " << c.error().message;
    EXPECT_TRUE(p.client->peer_verified());
    EXPECT_EQ(p.client->verify_error(), "");
}

TEST(TlsStream, VerifyFailsWithAWrongName) {
    Certs certs;
    Pair p = make_pair(server_ctx(certs), client_ctx(certs.cert), "other.example.test", true);
    Result<void> s, c;
    EXPECT_FALSE(handshake_pair(p, &s, &c));
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.error().message.find("certificate verification failed for other.example.test: hostname mismatch"),
              std::string::npos)
        << c.error().message;
    ASSERT_FALSE(s.ok());   // the client's alert ends the server side too
    EXPECT_FALSE(p.client->peer_verified());
}

TEST(TlsStream, WithoutVerifyAWrongNameIsOnlyRecorded) {
    Certs certs;
    Pair p = make_pair(server_ctx(certs), client_ctx(certs.cert), "other.example.test", false);
    ASSERT_TRUE(handshake_pair(p));
    EXPECT_FALSE(p.client->peer_verified());
    EXPECT_EQ(p.client->verify_error(), "hostname mismatch");
}

TEST(TlsStream, VerifyAgainstSystemStoreRejectsSelfSigned) {
    Certs certs;
    Pair p = make_pair(server_ctx(certs), client_ctx(), kHost, true);
    Result<void> c;
    EXPECT_FALSE(handshake_pair(p, nullptr, &c));
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.error().message.find("self-signed certificate"), std::string::npos) << c.error().message;
}

TEST(TlsStream, VerifiesAnIpAddressHost) {
    Certs certs("127.0.0.1");
    Pair p = make_pair(server_ctx(certs), client_ctx(certs.cert), "127.0.0.1", true);
    Result<void> c;
    ASSERT_TRUE(handshake_pair(p, nullptr, &c)) << c.error().message;
    EXPECT_TRUE(p.client->peer_verified());
}

TEST(TlsStream, ReloadedContextLeavesTheLiveSessionWorking) {
    Certs old_certs, new_certs;
    std::shared_ptr<ServerContext> listener = server_ctx(old_certs);
    std::weak_ptr<ServerContext> old_ctx = listener;

    Pair live = make_pair(listener, client_ctx(old_certs.cert), kHost, true);
    ASSERT_TRUE(handshake_pair(live));

    // SIGHUP: a new context replaces the listener's; only the session holds the old one.
    listener = server_ctx(new_certs);
    EXPECT_FALSE(old_ctx.expired());

    bool sent = false;
    int result = 0;
    std::string got;
    {
        std::vector<io::Task<void>> tasks;
        tasks.push_back(send_text(live.server.get(), "250 still here\r\n", &sent));
        tasks.push_back(recv_once(live.client.get(), 1000ms, &result, &got));
        run_all(std::move(tasks));
    }
    EXPECT_TRUE(sent);
    EXPECT_EQ(got, "250 still here\r\n");

    // New sessions get the new certificate: verifying against the new CA works, the old fails.
    Pair fresh = make_pair(listener, client_ctx(new_certs.cert), kHost, true);
    EXPECT_TRUE(handshake_pair(fresh));
    Pair stale = make_pair(listener, client_ctx(old_certs.cert), kHost, true);
    EXPECT_FALSE(handshake_pair(stale));

    live = Pair{};
    EXPECT_TRUE(old_ctx.expired());
}

// Bytes of heap per idle session (server and client side separately), after
// the handshake and with the server waiting in recv() as a session waiting
// for its next command does.
namespace {
size_t heap_in_use() { return mallinfo2().uordblks; }

io::Task<void> measure_idle(std::vector<io::CancelSlot>* slots, size_t* heap) {
    co_await io::sleep_for(30ms);   // every reader is now parked in recv()
    *heap = heap_in_use();
    for (auto& s : *slots) s.cancel();
}

void measure(const char* label, const std::string& max_version) {
    constexpr int kSessions = 200;
    Certs certs;
    auto sctx = server_ctx(certs, max_version);
    auto cctx = client_ctx();
    {   // warm up OpenSSL's one-time allocations
        Pair warm = make_pair(sctx, cctx);
        ASSERT_TRUE(handshake_pair(warm));
    }
    std::vector<Pair> pairs;
    pairs.reserve(kSessions);
    std::vector<io::CancelSlot> slots(kSessions);
    std::vector<int> results(kSessions, 1);
    std::vector<int> dup_fds;
    dup_fds.reserve(kSessions);
    const size_t before = heap_in_use();
    {
        std::vector<Result<void>> r(2 * kSessions);
        std::vector<io::Task<void>> tasks;
        for (int i = 0; i < kSessions; ++i) {
            pairs.push_back(make_pair(sctx, cctx));
            tasks.push_back(handshake(pairs.back().server.get(), &r[2 * i]));
            tasks.push_back(handshake(pairs.back().client.get(), &r[2 * i + 1]));
        }
        run_all(std::move(tasks));
        for (auto& x : r) ASSERT_TRUE(x.ok()) << x.error().message;
    }
    const size_t both = heap_in_use();
    size_t parked = 0;
    {
        std::vector<io::Task<void>> tasks;
        for (int i = 0; i < kSessions; ++i)
            tasks.push_back(recv_once(pairs[i].server.get(), 0ms, &results[i], nullptr, &slots[i]));
        tasks.push_back(measure_idle(&slots, &parked));
        run_all(std::move(tasks));
        for (int r : results) EXPECT_EQ(r, -ECANCELED);
    }
    // Drop the clients but keep their sockets open: what stays is the server side.
    for (auto& p : pairs) {
        dup_fds.push_back(::dup(p.client->fd()));
        p.client.reset();
    }
    const size_t servers_only = heap_in_use();
    const double per_pair = double(both - before) / kSessions;
    const double per_server = double(servers_only - before) / kSessions;
    const double per_parked = double(parked - before) / kSessions;
    std::printf("[ memory ] %s: idle session after handshake: server %.0f B, client %.0f B (pair %.0f B); "
                "server+client with the server parked in recv(): %.0f B\n",
                label, per_server, per_pair - per_server, per_pair, per_parked);
    ::testing::Test::RecordProperty(std::string(label) + "_server_bytes", static_cast<int>(per_server));
    // Loose bounds: no 16 KiB buffers held while idle.
    EXPECT_LT(per_server, 24 * 1024);
    EXPECT_LT(per_parked - per_pair, 4 * 1024);
    pairs.clear();
    for (int fd : dup_fds) ::close(fd);
}
}  // namespace

TEST(TlsStream, MemoryPerIdleSession) {
    measure("TLSv1.3", "");
    measure("TLSv1.2", "TLSv1.2");
}
