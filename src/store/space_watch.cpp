// Free-space sampling and resuming a stopped database; see space_watch.hpp.
#include "store/space_watch.hpp"

#include <pthread.h>
#include <sys/statvfs.h>

#include "util/log.hpp"

namespace ringpost::store {

bool enough_space(uint64_t free_bytes, uint64_t min_free_space, uint64_t size) {
    if (free_bytes <= min_free_space) return false;
    return size < free_bytes - min_free_space && size < free_bytes / 2;
}

std::optional<uint64_t> free_space(const std::string& path) {
    struct statvfs st {};
    if (::statvfs(path.c_str(), &st) != 0) return std::nullopt;
    return static_cast<uint64_t>(st.f_bavail) * static_cast<uint64_t>(st.f_frsize);
}

SpaceWatch::SpaceWatch(uint64_t min_free_space, Sample sample, Resume resume, std::chrono::milliseconds interval)
    : min_free_(min_free_space), sample_(std::move(sample)), resume_(std::move(resume)), interval_(interval) {
    tick();   // the first sample before anyone asks (a start on a nearly full disk)
}

void SpaceWatch::start() {
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

SpaceWatch::~SpaceWatch() { stop(); }

void SpaceWatch::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
}

bool SpaceWatch::can_accept(uint64_t size) const {
    if (stopped_.load(std::memory_order_acquire)) return false;
    // With no threshold only the database's own ENOSPC stops new mail.
    if (min_free_ == 0 && size == 0) return true;
    return enough_space(free_.load(std::memory_order_relaxed), min_free_, size);
}

void SpaceWatch::database_stopped() {
    stops_.fetch_add(1, std::memory_order_acq_rel);
    stopped_.store(true, std::memory_order_release);
}

void SpaceWatch::database_recovered() { stopped_.store(false, std::memory_order_release); }

void SpaceWatch::run() {
    pthread_setname_np(pthread_self(), "rp-space");
    std::unique_lock lock(mu_);
    while (!stopping_) {
        cv_.wait_for(lock, interval_);
        if (stopping_) break;
        lock.unlock();
        tick();
        lock.lock();
    }
}

void SpaceWatch::tick() {
    std::optional<uint64_t> sampled = sample_();
    uint64_t free = sampled ? *sampled : UINT64_MAX;   // unknown: never refuse on a failed statvfs
    free_.store(free, std::memory_order_relaxed);

    bool low = min_free_ != 0 && free <= min_free_;
    if (low != low_logged_) {
        low_logged_ = low;
        if (low)
            log::warn("store_space_low", {{"free", free}, {"min_free_space", min_free_},
                                          {"action", "refusing new mail (452 4.3.1)"}});
        else
            log::info("store_space_ok", {{"free", free}, {"min_free_space", min_free_}});
    }

    if (!stopped_.load(std::memory_order_acquire) || low || free == 0) return;
    // Resume flushes the memtables, which needs space of its own; it is
    // simply tried again next interval if that is not there yet.
    const uint64_t stops = stops_.load(std::memory_order_acquire);
    auto resumed = resume_();
    if (resumed) {
        if (stops_.load(std::memory_order_acquire) == stops) stopped_.store(false, std::memory_order_release);
        log::info("store_resumed", {{"free", free}, {"failed_attempts", resume_failures_}});
        resume_failures_ = 0;
    } else if (resume_failures_++ == 0) {
        log::warn("store_resume_failed", {{"free", free}, {"error", resumed.error().message},
                                          {"hint", "retried every interval while space is short"}});
    }
}

}  // namespace ringpost::store
