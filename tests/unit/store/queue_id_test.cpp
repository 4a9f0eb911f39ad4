// Queue IDs: format, validation, and strict monotonicity under contention.
#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "store/store.hpp"

using namespace ringpost::store;

TEST(QueueId, FormatAndTime) {
    std::string id = new_queue_id();
    EXPECT_TRUE(is_valid_queue_id(id)) << id;
    // The upper 44 bits are milliseconds since the epoch: close to now.
    uint64_t v = std::stoull(id, nullptr, 16);
    int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch()).count();
    EXPECT_LE(static_cast<int64_t>(v >> 20), ms + 1);
    EXPECT_GT(static_cast<int64_t>(v >> 20), ms - 60000);
}

TEST(QueueId, Validation) {
    EXPECT_TRUE(is_valid_queue_id("0123456789ABCDEF"));
    EXPECT_FALSE(is_valid_queue_id("0123456789abcdef"));  // lower case
    EXPECT_FALSE(is_valid_queue_id("0123456789ABCDE"));
    EXPECT_FALSE(is_valid_queue_id("0123456789ABCDEF0"));
    EXPECT_FALSE(is_valid_queue_id("0123456789ABCDEG"));
    EXPECT_FALSE(is_valid_queue_id(""));
}

TEST(QueueId, StrictlyIncreasingAcrossThreads) {
    constexpr int kThreads = 4, kPerThread = 20000;
    std::vector<std::vector<std::string>> got(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            got[t].reserve(kPerThread);
            for (int i = 0; i < kPerThread; ++i) got[t].push_back(new_queue_id());
        });
    for (auto& th : threads) th.join();

    std::vector<std::string> all;
    for (auto& v : got) {
        // Each thread sees its own IDs strictly increasing (string order = numeric order).
        EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
        EXPECT_EQ(std::adjacent_find(v.begin(), v.end()), v.end());
        all.insert(all.end(), v.begin(), v.end());
    }
    std::sort(all.begin(), all.end());
    EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "duplicate queue id";
    EXPECT_LT(all.back(), new_queue_id());
}
