// Listener plumbing: a port already served by another process must be
// refused, not silently shared through SO_REUSEPORT.
#include <gtest/gtest.h>

#include <liburing.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "io/socket.hpp"

namespace ringpost::io {
namespace {

// Long enough to show that a held port stays refused, short for the suite.
constexpr std::chrono::milliseconds kShortWait{50};

uint16_t port_of(const Fd& fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    EXPECT_EQ(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len), 0);
    return address_port(ss);
}

TEST(ListenGroup, RefusesAPortAnotherReusePortGroupHolds) {
    // Another ringpost (same user, SO_REUSEPORT) already listens here.
    auto other = listen_tcp("127.0.0.1", 0, true);
    ASSERT_TRUE(other.ok()) << other.error().message;
    const uint16_t port = port_of(other.value());

    auto group = listen_tcp_group("127.0.0.1", port, 2, kShortWait);
    ASSERT_FALSE(group.ok()) << "a second group on the same port would split its connections";
    EXPECT_EQ(group.error().code, std::errc::address_in_use);
    EXPECT_NE(group.error().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos)
        << group.error().message;
    EXPECT_NE(group.error().message.find("in use"), std::string::npos) << group.error().message;
}

TEST(ListenGroup, BindsOneSocketPerWorkerOnAFreePort) {
    auto probe = listen_tcp("127.0.0.1", 0, false);
    ASSERT_TRUE(probe.ok());
    const uint16_t port = port_of(probe.value());
    probe.value().reset();

    auto group = listen_tcp_group("127.0.0.1", port, 3);
    ASSERT_TRUE(group.ok()) << group.error().message;
    ASSERT_EQ(group.value().size(), 3u);
    for (const Fd& fd : group.value()) EXPECT_EQ(port_of(fd), port);

    // While the group listens, nobody else gets the port.
    auto again = listen_tcp_group("127.0.0.1", port, 1, kShortWait);
    EXPECT_FALSE(again.ok());
}

TEST(ListenGroup, BindsRightAfterAProcessWithPendingAcceptsIsKilled) {
    // A server killed with -9 while its ring waits in accept: the kernel
    // closes the listener only when the io_uring teardown, which runs after
    // the process has gone, cancels that accept. A restart at once (what a
    // supervisor does after a crash) must wait for that, not refuse.
    for (int trial = 0; trial < 5; ++trial) {
        auto free_port = listen_tcp("127.0.0.1", 0, false);
        ASSERT_TRUE(free_port.ok());
        const uint16_t port = port_of(free_port.value());
        free_port.value().reset();

        int ready[2];
        ASSERT_EQ(::pipe(ready), 0);
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            auto fd = listen_tcp("127.0.0.1", port, true);
            io_uring ring;
            if (!fd || io_uring_queue_init(4, &ring, 0) != 0) ::_exit(1);
            io_uring_prep_multishot_accept(io_uring_get_sqe(&ring), fd.value().get(), nullptr, nullptr, 0);
            io_uring_submit(&ring);
            fd.value().reset();   // only the pending accept holds the listener now
            (void)!::write(ready[1], "x", 1);
            ::pause();
            ::_exit(0);
        }
        char byte;
        ASSERT_EQ(::read(ready[0], &byte, 1), 1);
        ::close(ready[0]);
        ::close(ready[1]);
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);

        auto group = listen_tcp_group("127.0.0.1", port, 2);
        ASSERT_TRUE(group.ok()) << "trial " << trial << ": " << group.error().message;
    }
}

TEST(ListenGroup, PortZeroIsRefused) {
    // Each socket would get its own ephemeral port: not a group.
    auto group = listen_tcp_group("127.0.0.1", 0, 2);
    ASSERT_FALSE(group.ok());
    EXPECT_EQ(group.error().code, std::errc::invalid_argument);
}

}  // namespace
}  // namespace ringpost::io
