// Listener plumbing: a port already served by another process must be
// refused, not silently shared through SO_REUSEPORT.
#include <gtest/gtest.h>

#include <cerrno>

#include "io/socket.hpp"

namespace ringpost::io {
namespace {

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

    auto group = listen_tcp_group("127.0.0.1", port, 2);
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
    auto again = listen_tcp_group("127.0.0.1", port, 1);
    EXPECT_FALSE(again.ok());
}

TEST(ListenGroup, PortZeroIsRefused) {
    // Each socket would get its own ephemeral port: not a group.
    auto group = listen_tcp_group("127.0.0.1", 0, 2);
    ASSERT_FALSE(group.ok());
    EXPECT_EQ(group.error().code, std::errc::invalid_argument);
}

}  // namespace
}  // namespace ringpost::io
