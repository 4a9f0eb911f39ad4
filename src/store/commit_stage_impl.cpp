// Group commit thread; see commit_stage_impl.hpp.
#include "store/commit_stage_impl.hpp"

#include <pthread.h>

namespace ringpost::store {

GroupCommitStage::GroupCommitStage(BatchWriter& writer, CommitLimits limits)
    : writer_(writer), limits_(limits), thread_([this] { run(); }) {}

GroupCommitStage::~GroupCommitStage() { stop(); }

void GroupCommitStage::submit(std::unique_ptr<AcceptRequest> request) {
    if (!request) return;
    {
        std::lock_guard lock(mu_);
        if (!stopping_) {
            queue_.push_back(std::move(request));
            cv_.notify_one();
            return;
        }
    }
    if (request->on_done) request->on_done(make_error("store is shutting down"));
}

void GroupCommitStage::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_one();
    std::lock_guard lock(stop_mu_);
    if (thread_.joinable()) thread_.join();
}

CommitStats GroupCommitStage::stats() const {
    return CommitStats{batches_.load(std::memory_order_relaxed), requests_.load(std::memory_order_relaxed),
                       max_batch_.load(std::memory_order_relaxed)};
}

void GroupCommitStage::run() {
    pthread_setname_np(pthread_self(), "rp-commit");
    std::vector<std::unique_ptr<AcceptRequest>> batch;
    std::vector<AcceptRequest*> view;
    std::vector<Result<void>> results;

    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
        if (queue_.empty()) return;  // stopping, and everything submitted is committed

        // Take everything waiting, up to the caps. The first request always
        // goes in, however large, so an oversized message cannot stall.
        size_t bytes = 0;
        while (!queue_.empty() && batch.size() < limits_.max_requests) {
            size_t size = queue_.front()->data.size();
            if (!batch.empty() && bytes + size > limits_.max_bytes) break;
            bytes += size;
            batch.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
        lock.unlock();

        view.clear();
        for (auto& r : batch) view.push_back(r.get());
        results.assign(batch.size(), Result<void>{});
        writer_.write_batch(view, results);

        batches_.fetch_add(1, std::memory_order_relaxed);
        requests_.fetch_add(batch.size(), std::memory_order_relaxed);
        if (batch.size() > max_batch_.load(std::memory_order_relaxed))
            max_batch_.store(batch.size(), std::memory_order_relaxed);  // only this thread writes it

        for (size_t i = 0; i < batch.size(); ++i)
            if (batch[i]->on_done) batch[i]->on_done(results[i]);
        batch.clear();  // frees the message bodies before waiting again

        lock.lock();
    }
}

}  // namespace ringpost::store
