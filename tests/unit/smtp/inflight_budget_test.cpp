// The budget of in-flight message bytes: chunked reservations, the per-IP
// share, and the overdraft that guarantees progress.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "smtp/inflight_budget.hpp"

namespace ringpost::smtp {
namespace {

constexpr uint64_t kChunk = InflightBudget::kChunk;

TEST(InflightBudget, ReservesWholeChunksAndReleasesThem) {
    InflightBudget budget(16 * kChunk, 0);
    {
        InflightBudget::Account a(&budget, "192.0.2.1");
        EXPECT_TRUE(a.reserve(1));
        EXPECT_EQ(a.reserved(), kChunk);
        EXPECT_EQ(budget.used(), kChunk);
        EXPECT_TRUE(a.reserve(kChunk));   // already covered: nothing shared touched
        EXPECT_EQ(budget.used(), kChunk);
        EXPECT_TRUE(a.reserve(kChunk + 1));
        EXPECT_EQ(budget.used(), 2 * kChunk);
        a.release();
        EXPECT_EQ(a.reserved(), 0u);
        EXPECT_EQ(budget.used(), 0u);
        EXPECT_TRUE(a.reserve(3 * kChunk));
        EXPECT_EQ(budget.used(), 3 * kChunk);
    }
    // An account that ends gives everything back.
    EXPECT_EQ(budget.used(), 0u);
    EXPECT_EQ(budget.used_by("192.0.2.1"), 0u);
}

TEST(InflightBudget, SessionsWaitPastTheTotalAndGoOnWhenBytesComeBack) {
    InflightBudget budget(4 * kChunk, 0);
    InflightBudget::Account a(&budget, "192.0.2.1");
    InflightBudget::Account b(&budget, "192.0.2.2");
    InflightBudget::Account c(&budget, "192.0.2.3");
    ASSERT_TRUE(a.reserve(2 * kChunk));
    ASSERT_TRUE(b.reserve(2 * kChunk));
    // c takes the overdraft (nobody held it) ...
    EXPECT_TRUE(c.reserve(kChunk));
    EXPECT_TRUE(c.overdrawn());
    // ... so b, wanting more, must wait.
    EXPECT_FALSE(b.reserve(3 * kChunk));
    EXPECT_EQ(b.reserved(), 2 * kChunk);   // a failed reservation takes nothing
    EXPECT_EQ(budget.used(), 5 * kChunk);
    a.release();
    EXPECT_TRUE(b.reserve(3 * kChunk));
    EXPECT_FALSE(b.overdrawn());
}

TEST(InflightBudget, OneAddressGetsOnlyItsShare) {
    InflightBudget budget(8 * kChunk, 2 * kChunk);
    InflightBudget::Account a1(&budget, "192.0.2.1");
    InflightBudget::Account a2(&budget, "192.0.2.1");
    InflightBudget::Account a3(&budget, "192.0.2.1");
    InflightBudget::Account other(&budget, "192.0.2.9");
    ASSERT_TRUE(a1.reserve(kChunk));
    ASSERT_TRUE(a2.reserve(kChunk));
    EXPECT_EQ(budget.used_by("192.0.2.1"), 2 * kChunk);
    // The share is full: a3 takes the overdraft, a1 then waits.
    EXPECT_TRUE(a3.reserve(kChunk));
    EXPECT_TRUE(a3.overdrawn());
    EXPECT_FALSE(a1.reserve(2 * kChunk));
    // Another address still has the rest of the total.
    EXPECT_TRUE(other.reserve(2 * kChunk));
    EXPECT_FALSE(other.overdrawn());
    EXPECT_EQ(budget.used_by("192.0.2.9"), 2 * kChunk);
    // The overdraft counts in the share too: a1 goes on once a2 and a3 are done.
    a2.release();
    EXPECT_FALSE(a1.reserve(2 * kChunk));
    a3.release();
    EXPECT_TRUE(a1.reserve(2 * kChunk));
    EXPECT_FALSE(a1.overdrawn());
}

TEST(InflightBudget, OverdraftLetsAMessageLargerThanTheBudgetThrough) {
    InflightBudget budget(2 * kChunk, kChunk);
    InflightBudget::Account big(&budget, "192.0.2.1");
    InflightBudget::Account small(&budget, "192.0.2.2");
    ASSERT_TRUE(small.reserve(kChunk));
    for (uint64_t n = kChunk; n <= 40 * kChunk; n += kChunk) ASSERT_TRUE(big.reserve(n)) << n;
    EXPECT_TRUE(big.overdrawn());
    EXPECT_EQ(budget.used(), 41 * kChunk);
    big.release();
    EXPECT_FALSE(big.overdrawn());
    EXPECT_EQ(budget.used(), kChunk);
}

TEST(InflightBudget, SessionsHoldingTheWholeBudgetCannotDeadlock) {
    // Every session holds part of the budget and wants more: exactly one
    // proceeds (the overdraft); when it is done the next one can.
    InflightBudget budget(4 * kChunk, 0);
    std::vector<std::unique_ptr<InflightBudget::Account>> sessions;
    for (int i = 0; i < 4; ++i) {
        sessions.push_back(std::make_unique<InflightBudget::Account>(&budget, "192.0.2." + std::to_string(i)));
        ASSERT_TRUE(sessions.back()->reserve(kChunk));
    }
    std::vector<bool> done(4, false);
    for (int round = 0; round < 4; ++round) {
        int proceeding = 0;
        int finished = -1;
        for (int i = 0; i < 4; ++i) {
            if (done[i]) continue;
            if (sessions[i]->reserve(10 * kChunk)) {
                ++proceeding;
                finished = i;
            }
        }
        ASSERT_GE(proceeding, 1) << "round " << round;
        sessions[finished]->release();   // its message was committed
        done[finished] = true;
    }
    EXPECT_EQ(budget.used(), 0u);
}

TEST(InflightBudget, ZeroLimitsMeanNoLimit) {
    InflightBudget budget(0, 0);
    InflightBudget::Account a(&budget, "192.0.2.1");
    EXPECT_TRUE(a.reserve(1000 * kChunk));
    EXPECT_FALSE(a.overdrawn());
    InflightBudget::Account unbudgeted(nullptr, "192.0.2.1");
    EXPECT_TRUE(unbudgeted.reserve(1000 * kChunk));
    unbudgeted.release();
}

TEST(InflightBudget, ConcurrentSessionsNeverPassTheBudgetButForOneOverdraft) {
    constexpr uint64_t kTotal = 8 * kChunk;
    InflightBudget budget(kTotal, 0);
    std::atomic<uint64_t> peak{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            InflightBudget::Account a(&budget, "192.0.2." + std::to_string(t));
            for (int i = 0; i < 2000; ++i) {
                for (uint64_t n = kChunk; n <= 3 * kChunk; n += kChunk) {
                    if (!a.reserve(n)) break;
                    uint64_t seen = budget.used();
                    uint64_t p = peak.load();
                    while (seen > p && !peak.compare_exchange_weak(p, seen)) {
                    }
                }
                a.release();
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(budget.used(), 0u);
    // The overdraft holder may pass the total by its own message (3 chunks).
    EXPECT_LE(peak.load(), kTotal + 3 * kChunk);
}

}  // namespace
}  // namespace ringpost::smtp
