// The descriptor budget: the reserve, and how the connections left are
// shared by the services when their max_connections ask for more.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include "server/fd_budget.hpp"

namespace ringpost::server {
namespace {

std::vector<ServiceShare> services(uint32_t smtp, uint32_t submission, uint32_t pop3, uint32_t imap) {
    return {{"smtp", smtp, 0}, {"submission", submission, 0}, {"pop3", pop3, 0}, {"imap", imap, 0}};
}

uint64_t granted_sum(const std::vector<ServiceShare>& v) {
    uint64_t n = 0;
    for (const auto& s : v) n += s.granted;
    return n;
}

TEST(FdBudget, ReserveIsAQuarterOfALowLimit) {
    EXPECT_EQ(fd_reserve(256, 2, 7), 64u);
    EXPECT_EQ(fd_reserve(1024, 2, 7), 256u);
    // A high limit keeps the reserve the store, delivery and rings need.
    const uint64_t big = fd_reserve(1u << 20, 2, 7);
    EXPECT_GT(big, 576u);
    EXPECT_LT(big, 1000u);
    EXPECT_GT(fd_reserve(1u << 20, 64, 7), big);   // more workers, more rings and listeners
}

TEST(FdBudget, LimitsThatFitAreKept) {
    auto v = services(100, 10, 10, 10);
    EXPECT_FALSE(share_connections(130, v));
    EXPECT_EQ(v[0].granted, 100u);
    EXPECT_EQ(v[3].granted, 10u);
}

TEST(FdBudget, AFloodableServiceDoesNotCrowdOutTheOthers) {
    // 256 descriptors: 192 for clients; SMTP asks for 5000.
    auto v = services(5000, 1000, 1000, 1000);
    EXPECT_TRUE(share_connections(192, v));
    for (const auto& s : v) EXPECT_EQ(s.granted, 48u) << s.name;
    EXPECT_LE(granted_sum(v), 192u);
}

TEST(FdBudget, SmallServicesKeepWhatTheyAskAndTheRestGoesToTheBig) {
    auto v = services(20000, 1000, 1000, 2);
    EXPECT_TRUE(share_connections(19402, v));
    EXPECT_EQ(v[3].granted, 2u);
    EXPECT_EQ(v[1].granted, 1000u);
    EXPECT_EQ(v[2].granted, 1000u);
    EXPECT_EQ(v[0].granted, 19402u - 2002u);
}

TEST(FdBudget, AServiceWithoutListenersTakesNoShare) {
    auto v = services(5000, 0, 0, 1000);
    EXPECT_TRUE(share_connections(300, v));
    EXPECT_EQ(v[1].granted, 0u);
    EXPECT_EQ(v[0].granted, 150u);
    EXPECT_EQ(v[3].granted, 150u);
}

TEST(FdBudget, RaisesTheSoftLimitToTheHardOne) {
    rlimit before{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &before), 0);
    if (before.rlim_max == RLIM_INFINITY || before.rlim_max < 64) GTEST_SKIP() << "hard limit unusable here";
    rlimit lowered = before;
    lowered.rlim_cur = 64;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);
    NofileLimit got = raise_nofile_limit();
    EXPECT_EQ(got.error, "");
    EXPECT_EQ(got.soft_before, 64u);
    EXPECT_EQ(got.soft, before.rlim_max);
    rlimit now{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &now), 0);
    EXPECT_EQ(now.rlim_cur, before.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &before);
}

}  // namespace
}  // namespace ringpost::server
