// SpaceWatch: the free-space threshold (Postfix's queue_minfree rule) and
// the resume of a database stopped by a full disk once space is back --
// with a fake sampler and a fake resume, no filesystem and no RocksDB.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "store/space_watch.hpp"

namespace ringpost::store {
namespace {

using namespace std::chrono_literals;
constexpr uint64_t kMiB = 1u << 20;

// Polls `done` for up to two seconds (the watch ticks every 2 ms here).
template <class F>
bool eventually(F done) {
    for (int i = 0; i < 400 && !done(); ++i) std::this_thread::sleep_for(5ms);
    return done();
}

TEST(SpaceWatchTest, EnoughSpaceFollowsPostfix) {
    EXPECT_TRUE(enough_space(300 * kMiB, 256 * kMiB, 0));
    EXPECT_FALSE(enough_space(256 * kMiB, 256 * kMiB, 0));     // at the threshold: refused
    EXPECT_FALSE(enough_space(100 * kMiB, 256 * kMiB, 0));
    // The declared size must fit above the threshold...
    EXPECT_TRUE(enough_space(300 * kMiB, 256 * kMiB, 40 * kMiB));
    EXPECT_FALSE(enough_space(300 * kMiB, 256 * kMiB, 44 * kMiB));
    // ...and take less than half of what is free.
    EXPECT_TRUE(enough_space(100 * kMiB, 0, 49 * kMiB));
    EXPECT_FALSE(enough_space(100 * kMiB, 0, 50 * kMiB));
    EXPECT_FALSE(enough_space(0, 0, 0));
}

TEST(SpaceWatchTest, FreeSpaceOfARealDirectory) {
    auto free = free_space("/");
    ASSERT_TRUE(free.has_value());
    EXPECT_FALSE(free_space("/no/such/directory/anywhere").has_value());
}

TEST(SpaceWatchTest, RefusesBelowTheThresholdAndAcceptsWhenSpaceReturns) {
    std::atomic<uint64_t> disk{100 * kMiB};
    SpaceWatch watch(16 * kMiB, [&] { return std::optional<uint64_t>(disk.load()); }, []() -> Result<void> { return {}; }, 2ms);
    watch.start();
    EXPECT_TRUE(watch.can_accept(0));
    EXPECT_TRUE(watch.can_accept(40 * kMiB));
    EXPECT_FALSE(watch.can_accept(90 * kMiB));   // would leave less than min_free_space

    disk = 8 * kMiB;
    EXPECT_TRUE(eventually([&] { return !watch.can_accept(0); }));
    EXPECT_EQ(watch.free_bytes(), 8 * kMiB);
    disk = 64 * kMiB;
    EXPECT_TRUE(eventually([&] { return watch.can_accept(0); }));
}

TEST(SpaceWatchTest, FirstSampleIsTakenAtConstruction) {
    // A start on a nearly full disk refuses mail from the first MAIL FROM.
    SpaceWatch watch(16 * kMiB, [] { return std::optional<uint64_t>(15 * kMiB); }, []() -> Result<void> { return {}; }, 1h);
    EXPECT_FALSE(watch.can_accept(0));
}

TEST(SpaceWatchTest, FailedSampleNeverRefuses) {
    SpaceWatch watch(16 * kMiB, [] { return std::optional<uint64_t>(); }, []() -> Result<void> { return {}; }, 1h);
    EXPECT_TRUE(watch.can_accept(0));
}

TEST(SpaceWatchTest, StoppedDatabaseIsResumedOnceSpaceIsBack) {
    std::atomic<uint64_t> disk{0};
    std::atomic<int> resumes{0};
    std::atomic<bool> resume_works{false};
    SpaceWatch watch(0, [&] { return std::optional<uint64_t>(disk.load()); },
                     [&]() -> Result<void> {
                         ++resumes;
                         if (!resume_works) return make_error("IO error: No space left on device");
                         return {};
                     },
                     2ms);
    watch.start();
    EXPECT_TRUE(watch.can_accept(0));   // no threshold: only the database stops mail
    watch.database_stopped();
    EXPECT_TRUE(watch.stopped());
    EXPECT_FALSE(watch.can_accept(0));

    std::this_thread::sleep_for(30ms);
    EXPECT_EQ(resumes.load(), 0) << "no resume while the disk is full";

    disk = 64 * kMiB;   // space back, but the resume still fails (its flush needs room): retried
    EXPECT_TRUE(eventually([&] { return resumes.load() >= 3; }));
    EXPECT_TRUE(watch.stopped());
    resume_works = true;
    EXPECT_TRUE(eventually([&] { return !watch.stopped(); }));
    EXPECT_TRUE(watch.can_accept(0));
    int after = resumes.load();
    std::this_thread::sleep_for(30ms);
    EXPECT_EQ(resumes.load(), after) << "no resume of a running database";
}

TEST(SpaceWatchTest, NoResumeBelowTheThreshold) {
    std::atomic<uint64_t> disk{8 * kMiB};
    std::atomic<int> resumes{0};
    SpaceWatch watch(16 * kMiB, [&] { return std::optional<uint64_t>(disk.load()); },
                     [&]() -> Result<void> {
                         ++resumes;
                         return {};
                     },
                     2ms);
    watch.start();
    watch.database_stopped();
    std::this_thread::sleep_for(30ms);
    EXPECT_EQ(resumes.load(), 0);
    disk = 32 * kMiB;
    EXPECT_TRUE(eventually([&] { return !watch.stopped(); }));
    EXPECT_EQ(resumes.load(), 1);
}

TEST(SpaceWatchTest, RecoveryReportedByTheDatabaseClearsTheStop) {
    SpaceWatch watch(0, [] { return std::optional<uint64_t>(0); }, []() -> Result<void> { return make_error("no"); }, 1h);
    watch.database_stopped();
    EXPECT_FALSE(watch.can_accept(0));
    watch.database_recovered();
    EXPECT_TRUE(watch.can_accept(0));
}

}  // namespace
}  // namespace ringpost::store
