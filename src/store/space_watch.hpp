// Free space on the data directory's filesystem, and the way back from a
// database stopped by a full disk.
//
// Postfix's queue_minfree, done without a statvfs per message on a ring
// thread: one thread samples the free space every `interval` and publishes
// it in an atomic, which can_accept() (SMTP's MAIL FROM, on ring threads)
// only reads. Below min_free_space new mail is refused (452 4.3.1) while
// reads, deletions and delivery outcomes -- which write little -- go on, so
// the database normally never meets ENOSPC.
//
// If it does anyway (another process filled the disk, or min_free_space is
// 0), RocksDB stops accepting writes until DB::Resume() (its background
// error state); the store reports that with database_stopped(). The same
// thread then calls `resume` every interval once the free space is back
// above the threshold, until it succeeds, so accepting mail resumes by
// itself without a restart.
//
// No RocksDB here: the sampler and the resume call are functions, so the
// logic is unit-tested with fakes (tests/unit/store/space_watch_test.cpp).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "util/result.hpp"

namespace ringpost::store {

// Postfix's rule (smtpd_check_queue): a message of `size` bytes (0 if the
// client declared none) fits if the free space stays above min_free_space
// with it and it takes less than half of what is free.
bool enough_space(uint64_t free_bytes, uint64_t min_free_space, uint64_t size);

// Free bytes for an unprivileged writer (statvfs f_bavail * f_frsize) on
// the filesystem holding `path`; nullopt if statvfs fails.
std::optional<uint64_t> free_space(const std::string& path);

class SpaceWatch {
public:
    using Sample = std::function<std::optional<uint64_t>()>;
    // Ok once the database accepts writes again.
    using Resume = std::function<Result<void>()>;

    SpaceWatch(uint64_t min_free_space, Sample sample, Resume resume,
               std::chrono::milliseconds interval = std::chrono::milliseconds(500));
    ~SpaceWatch();   // stop()s
    // The constructor takes the first sample; the thread that samples and
    // resumes starts here (once the database `resume` calls is open).
    void start();
    // Ends the thread (before the database it resumes is closed); the
    // rest stays usable.
    void stop();
    SpaceWatch(const SpaceWatch&) = delete;
    SpaceWatch& operator=(const SpaceWatch&) = delete;

    // May new mail of `size` bytes (0 = unknown) be accepted now? Two atomic
    // loads: safe on a ring thread.
    bool can_accept(uint64_t size) const;
    // The database stopped accepting writes (any thread, including
    // RocksDB's own; never blocks). The watch resumes it when it can.
    void database_stopped();
    // The database recovered by itself (RocksDB's automatic recovery).
    void database_recovered();
    bool stopped() const { return stopped_.load(std::memory_order_acquire); }
    // The last sample; UINT64_MAX until the first or while statvfs fails.
    uint64_t free_bytes() const { return free_.load(std::memory_order_relaxed); }

private:
    void run();
    void tick();

    const uint64_t min_free_;
    const Sample sample_;
    const Resume resume_;
    const std::chrono::milliseconds interval_;

    std::atomic<uint64_t> free_{UINT64_MAX};
    std::atomic<bool> stopped_{false};
    std::atomic<uint64_t> stops_{0};   // database_stopped() calls, so a resume never hides a newer stop
    bool low_logged_ = false;        // watch thread only: log transitions, not every sample
    uint32_t resume_failures_ = 0;   // watch thread only

    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;   // guarded by mu_
    std::thread thread_;
};

}  // namespace ringpost::store
