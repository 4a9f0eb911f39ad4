// Group commit thread; see commit_stage_impl.hpp.
#include "store/commit_stage_impl.hpp"
#include "store/store_metrics.hpp"

#include <pthread.h>

namespace ringpost::store {
namespace {

// Bytes a request adds to a batch, for the byte cap.
size_t batch_bytes(const AcceptRequest& r) { return r.data.size(); }
size_t batch_bytes(const OutcomeRequest& r) {
    size_t n = 0;
    for (const auto& note : r.notifications)
        if (note) n += note->data.size();
    return n;
}
size_t batch_bytes(const WriteRequest& r) { return r.bytes; }
size_t batch_bytes(const EventRequest&) { return 0; }

template <class Request>
void finish(Request& request, const Result<void>& result) {
    if (request.on_done) request.on_done(result);
}
void finish(EventRequest&, const Result<void>&) {}

}  // namespace

GroupCommitStage::GroupCommitStage(BatchWriter& writer, CommitLimits limits)
    : writer_(writer), limits_(limits), thread_([this] { run(); }) {}

GroupCommitStage::~GroupCommitStage() { stop(); }

void GroupCommitStage::submit(std::unique_ptr<AcceptRequest> request) {
    if (request) enqueue(std::move(request));
}

void GroupCommitStage::submit(std::unique_ptr<OutcomeRequest> request) {
    if (request) enqueue(std::move(request));
}

void GroupCommitStage::submit(std::unique_ptr<EventRequest> request) {
    if (request && !request->events.empty()) enqueue(std::move(request));
}

void GroupCommitStage::submit(std::unique_ptr<WriteRequest> request) {
    if (request) enqueue(std::move(request));
}

void GroupCommitStage::enqueue(Item item) {
    {
        std::lock_guard lock(mu_);
        if (!stopping_) {
            queue_.push_back(std::move(item));
            cv_.notify_one();
            return;
        }
    }
    std::visit([](auto& r) { finish(*r, make_error("store is shutting down", kShuttingDown)); }, item);
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

size_t GroupCommitStage::queued() const {
    std::lock_guard lock(mu_);
    return queue_.size();
}

void GroupCommitStage::run() {
    pthread_setname_np(pthread_self(), "rp-commit");
    thread_id_.store(std::this_thread::get_id());
    std::vector<Item> batch;
    std::vector<CommitRef> view;
    std::vector<Result<void>> results;

    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
        if (queue_.empty()) return;  // stopping, and everything submitted is committed

        // Take everything waiting, up to the caps. The first request always
        // goes in, however large, so an oversized message cannot stall.
        size_t bytes = 0;
        while (!queue_.empty() && batch.size() < limits_.max_requests) {
            size_t size = std::visit([](const auto& r) { return batch_bytes(*r); }, queue_.front());
            if (!batch.empty() && bytes + size > limits_.max_bytes) break;
            bytes += size;
            batch.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
        lock.unlock();

        view.clear();
        for (auto& item : batch) view.push_back(std::visit([](auto& r) { return CommitRef(r.get()); }, item));
        results.assign(batch.size(), Result<void>{});
        writer_.write_batch(view, results);

        store_metrics().batch_size.observe(batch.size());
        batches_.fetch_add(1, std::memory_order_relaxed);
        requests_.fetch_add(batch.size(), std::memory_order_relaxed);
        if (batch.size() > max_batch_.load(std::memory_order_relaxed))
            max_batch_.store(batch.size(), std::memory_order_relaxed);  // only this thread writes it

        for (size_t i = 0; i < batch.size(); ++i) std::visit([&](auto& r) { finish(*r, results[i]); }, batch[i]);
        batch.clear();  // frees the message bodies before waiting again

        lock.lock();
    }
}

}  // namespace ringpost::store
