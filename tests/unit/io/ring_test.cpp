// Runtime tests on a real io_uring and loopback sockets: task chaining,
// accept/recv/send/connect/close, linked timeouts, cancellation, timers,
// cross-thread post, and the multishot acceptor.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "io/acceptor.hpp"
#include "io/ops.hpp"
#include "io/ring.hpp"
#include "io/socket.hpp"
#include "io/task.hpp"

using namespace ringpost;
using namespace std::chrono_literals;

namespace {

uint16_t bound_port(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    return io::address_port(ss);
}

io::Task<int> add_later(int a, int b) {
    co_await io::sleep_for(1ms);
    co_return a + b;
}

io::Task<void> chain(io::Ring& ring, int& out) {
    int x = co_await add_later(1, 2);
    int y = co_await add_later(x, 10);
    out = y;
    ring.stop();
}

}  // namespace

TEST(Ring, TasksChainAndTimersFire) {
    io::Ring ring(64);
    ring.bind_thread();
    int out = 0;
    io::spawn(chain(ring, out));
    ring.run();
    EXPECT_EQ(out, 13);
}

namespace {
io::Task<void> echo_once(int listen_fd) {
    int fd = co_await io::accept(listen_fd);
    if (fd < 0) co_return;
    char buf[64];
    int n = co_await io::recv(fd, buf, sizeof buf);
    if (n > 0) co_await io::send(fd, buf, static_cast<size_t>(n));
    co_await io::close(fd);
}

io::Task<void> client(io::Ring& ring, uint16_t port, std::string& reply) {
    auto addr = io::make_address("127.0.0.1", port);
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc = co_await io::connect(fd, addr->get(), addr->length, 1000ms);
    EXPECT_EQ(rc, 0);
    co_await io::send(fd, "hello", 5);
    char buf[64];
    int n = co_await io::recv(fd, buf, sizeof buf, 1000ms);
    if (n > 0) reply.assign(buf, static_cast<size_t>(n));
    co_await io::close(fd);
    ring.stop();
}
}  // namespace

TEST(Ring, AcceptConnectSendRecv) {
    io::Ring ring(64);
    ring.bind_thread();
    auto lfd = io::listen_tcp("127.0.0.1", 0, false);
    ASSERT_TRUE(lfd.ok()) << lfd.error().message;
    std::string reply;
    io::spawn(echo_once(lfd->get()));
    io::spawn(client(ring, bound_port(lfd->get()), reply));
    ring.run();
    EXPECT_EQ(reply, "hello");
}

namespace {
io::Task<void> recv_with_timeout(io::Ring& ring, int fd, int& result, std::chrono::steady_clock::duration& took) {
    auto start = std::chrono::steady_clock::now();
    char buf[8];
    result = co_await io::recv(fd, buf, sizeof buf, 50ms);
    took = std::chrono::steady_clock::now() - start;
    ring.stop();
}
}  // namespace

TEST(Ring, RecvTimeoutCompletesWithCanceled) {
    io::Ring ring(64);
    ring.bind_thread();
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int result = 1;
    std::chrono::steady_clock::duration took{};
    io::spawn(recv_with_timeout(ring, sv[0], result, took));
    ring.run();
    EXPECT_EQ(result, -ECANCELED);
    EXPECT_GE(took, 40ms);
    close(sv[0]);
    close(sv[1]);
}

namespace {
io::Task<void> cancellable_recv(io::Ring& ring, int fd, io::CancelSlot& slot, int& result) {
    char buf[8];
    result = co_await io::recv(fd, buf, sizeof buf, io::Duration{0}, &slot);
    ring.stop();
}
io::Task<void> cancel_soon(io::CancelSlot& slot) {
    co_await io::sleep_for(5ms);
    slot.cancel();
}
}  // namespace

TEST(Ring, CancelSlotCancelsPendingRecv) {
    io::Ring ring(64);
    ring.bind_thread();
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    io::CancelSlot slot;
    int result = 1;
    io::spawn(cancellable_recv(ring, sv[0], slot, result));
    io::spawn(cancel_soon(slot));
    ring.run();
    EXPECT_EQ(result, -ECANCELED);
    EXPECT_TRUE(slot.cancelled);
    EXPECT_EQ(slot.pending, nullptr);
    close(sv[0]);
    close(sv[1]);
}

TEST(Ring, PostFromAnotherThreadRunsOnRingThread) {
    io::Ring ring(64);
    ring.bind_thread();
    std::thread::id ran_on;
    int count = 0;
    std::thread t([&] {
        for (int i = 0; i < 1000; ++i) ring.post([&] { ++count; });
        ring.post([&] {
            ran_on = std::this_thread::get_id();
            ring.stop();
        });
    });
    ring.run();
    t.join();
    EXPECT_EQ(count, 1000);
    EXPECT_EQ(ran_on, std::this_thread::get_id());
}

namespace {
io::Task<void> accept_n(io::Ring& ring, io::Acceptor& acc, int n, int& got) {
    while (got < n) {
        int fd = co_await acc.next();
        if (fd < 0) break;
        ++got;
        ::close(fd);
    }
    ring.stop();
}
}  // namespace

TEST(Acceptor, AcceptsManyConnections) {
    io::Ring ring(64);
    ring.bind_thread();
    auto lfd = io::listen_tcp("127.0.0.1", 0, true);
    ASSERT_TRUE(lfd.ok());
    uint16_t port = bound_port(lfd->get());
    io::Acceptor acc(ring, lfd->get());
    std::thread clients([port] {
        for (int i = 0; i < 20; ++i) {
            int fd = ::socket(AF_INET, SOCK_STREAM, 0);
            auto addr = io::make_address("127.0.0.1", port);
            ::connect(fd, addr->get(), addr->length);
            ::close(fd);
        }
    });
    int got = 0;
    io::spawn(accept_n(ring, acc, 20, got));
    ring.run();
    clients.join();
    EXPECT_EQ(got, 20);
}

namespace {
// Takes one accept with descriptors exhausted, then watches the acceptor
// for a while: the failure must come once, not again and again.
io::Task<void> accept_through_emfile(io::Ring& ring, io::Acceptor& acc, const rlimit& normal, int& first,
                                     int& while_failed, int& after) {
    first = co_await acc.next();
    // Nothing more may arrive until resume(): the error is not re-armed.
    co_await io::sleep_for(50ms);
    auto pending = acc.next();
    while_failed = pending.await_ready() ? -1 : 0;
    ::setrlimit(RLIMIT_NOFILE, &normal);
    acc.resume();
    after = co_await acc.next();
    if (after >= 0) ::close(after);
    ring.stop();
}
}  // namespace

// EMFILE ends a multishot accept (no IORING_CQE_F_MORE); re-arming at once
// would fail at once, for as long as the connection waits in the backlog.
TEST(Acceptor, ReportsEmfileOnceAndAcceptsAfterResume) {
    io::Ring ring(64);
    ring.bind_thread();
    auto lfd = io::listen_tcp("127.0.0.1", 0, true);
    ASSERT_TRUE(lfd.ok());
    uint16_t port = bound_port(lfd->get());
    int client = ::socket(AF_INET, SOCK_STREAM, 0);
    auto addr = io::make_address("127.0.0.1", port);
    ASSERT_EQ(::connect(client, addr->get(), addr->length), 0);   // waits in the backlog
    rlimit normal{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &normal), 0);
    // No descriptor free: the limit at the highest one in use.
    int probe = ::dup(0);
    ASSERT_GE(probe, 0);
    ::close(probe);
    rlimit exhausted = normal;
    exhausted.rlim_cur = static_cast<rlim_t>(probe);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &exhausted), 0);
    int first = 0, while_failed = 0, after = -1;
    {
        io::Acceptor acc(ring, lfd->get());   // armed under the lowered limit
        io::spawn(accept_through_emfile(ring, acc, normal, first, while_failed, after));
        ring.run();
    }
    ::setrlimit(RLIMIT_NOFILE, &normal);
    ::close(client);
    EXPECT_EQ(first, -EMFILE);
    EXPECT_EQ(while_failed, 0) << "a failed accept was re-armed without resume()";
    EXPECT_GE(after, 0);
}

TEST(Socket, FormatsAndMapsAddresses) {
    auto a = io::make_address("::1", 25);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(io::address_ip(a->storage), "::1");
    EXPECT_EQ(io::address_port(a->storage), 25);
    auto b = io::make_address("192.0.2.7", 2525);
    uint8_t bytes[16];
    io::address_bytes(b->storage, bytes);
    EXPECT_EQ(bytes[10], 0xff);
    EXPECT_EQ(bytes[15], 7);
    EXPECT_FALSE(io::make_address("mx.example", 25).ok());
}

namespace {
// Fills all but one SQE slot with NOPs, then starts a recv with a linked
// timeout: the timeout must still apply (both SQEs in one submission).
io::Task<void> timeout_with_full_queue(io::Ring& ring, int fd, int& result) {
    // spawn() runs this before run() arms its wake-up read: one slot stays free.
    for (unsigned i = 0; i + 1 < 4; ++i) {
        io_uring_sqe* s = ring.sqe();
        io_uring_prep_nop(s);
        io_uring_sqe_set_data(s, nullptr);
    }
    char buf[8];
    result = co_await io::recv(fd, buf, sizeof buf, 30ms);
    ring.stop();
}

io::Task<void> recv_after_cancel(io::Ring& ring, int fd, int& result) {
    io::CancelSlot slot;
    slot.cancel();
    char buf[8];
    result = co_await io::recv(fd, buf, sizeof buf, io::Duration{0}, &slot);
    ring.stop();
}
}  // namespace

TEST(Ring, LinkedTimeoutSurvivesAFullSubmissionQueue) {
    io::Ring ring(4);
    ring.bind_thread();
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int result = 1;
    io::spawn(timeout_with_full_queue(ring, sv[0], result));
    ring.run();
    EXPECT_EQ(result, -ECANCELED);
    close(sv[0]);
    close(sv[1]);
}

TEST(Ring, OperationStartedAfterCancelCompletesAtOnce) {
    io::Ring ring(8);
    ring.bind_thread();
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int result = 1;
    io::spawn(recv_after_cancel(ring, sv[0], result));
    ring.run();
    EXPECT_EQ(result, -ECANCELED);
    close(sv[0]);
    close(sv[1]);
}
