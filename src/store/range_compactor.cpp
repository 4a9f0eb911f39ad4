// Compaction of one mailbox's key range; see range_compactor.hpp.
#include "store/range_compactor.hpp"

#include <pthread.h>

#include <rocksdb/db.h>

#include "store/keys.hpp"
#include "util/log.hpp"

namespace ringpost::store {

RangeCompactor::RangeCompactor(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf)
    : db_(db), cf_(cf), thread_([this] { run(); }) {}

RangeCompactor::~RangeCompactor() { stop(); }

void RangeCompactor::request(const std::string& prefix) {
    std::lock_guard lock(mu_);
    if (stopping_ || !queued_.insert(prefix).second) return;
    queue_.push_back(prefix);
    cv_.notify_one();
}

void RangeCompactor::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_one();
    // A compaction in progress returns early instead of holding up the close.
    if (thread_.joinable()) db_->DisableManualCompaction();
    if (thread_.joinable()) thread_.join();
}

uint64_t RangeCompactor::done() const {
    std::lock_guard lock(mu_);
    return done_;
}

bool RangeCompactor::idle() const {
    std::lock_guard lock(mu_);
    return queue_.empty() && !running_;
}

void RangeCompactor::run() {
    pthread_setname_np(pthread_self(), "rp-compact");
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
        if (stopping_) return;
        std::string prefix = std::move(queue_.front());
        queue_.pop_front();
        queued_.erase(prefix);  // markers added from now on may ask again
        running_ = true;
        lock.unlock();

        const std::string end = keys::prefix_successor(prefix);
        rocksdb::Slice begin_slice(prefix), end_slice(end);
        rocksdb::CompactRangeOptions options;
        // Down to the bottom level, where deletion markers are dropped; files
        // the compaction itself just wrote are not rewritten again.
        options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
        rocksdb::Status s = db_->CompactRange(options, cf_, &begin_slice, end.empty() ? nullptr : &end_slice);
        if (!s.ok() && !s.IsIncomplete()) log::warn("mailbox_compaction_failed", {{"error", s.ToString()}});

        lock.lock();
        running_ = false;
        ++done_;
    }
}

}  // namespace ringpost::store
