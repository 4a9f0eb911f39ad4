// The group-commit thread behind CommitStage (commit_stage.hpp).
//
// submit() only appends to a queue under a mutex and signals a condition
// variable -- no I/O, so it is safe on ring threads. The commit thread takes
// every waiting request at once (up to a cap), hands them to a BatchWriter
// that turns them into one synced write, then runs each callback. While one
// fsync is in progress new requests pile up and form the next batch, so the
// batch size adapts to load by itself. Accepts (from SMTP sessions) and
// outcomes (from the delivery engine) wait in the same queue, in submission
// order, and share batches: one fsync serves both.
//
// The writer is an interface so the batching logic is testable without a
// database; in the product it is the Store (accept.cpp).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <span>
#include <thread>
#include <variant>
#include <vector>

#include "store/commit_stage.hpp"

namespace ringpost::store {

// One request of a batch as the writer sees it (the stage keeps ownership).
using CommitRef = std::variant<AcceptRequest*, OutcomeRequest*>;

class BatchWriter {
public:
    virtual ~BatchWriter() = default;
    // Make all requests durable in one atomic write, or none of them.
    // results has requests.size() entries (all ok on entry); set a failed
    // request's entry. Runs on the commit thread only.
    virtual void write_batch(std::span<const CommitRef> requests, std::vector<Result<void>>& results) = 0;
};

struct CommitLimits {
    size_t max_requests = 1024;
    // Sum of the message bytes one batch writes: an accept's data, an
    // outcome's notifications (its own body is already stored).
    size_t max_bytes = 64u << 20;
};

class GroupCommitStage final : public CommitStage {
public:
    explicit GroupCommitStage(BatchWriter& writer, CommitLimits limits = {});
    ~GroupCommitStage() override;  // stop()s

    // After stop() the request fails at once, on the caller's thread (there
    // is no commit thread left to call back on).
    void submit(std::unique_ptr<AcceptRequest> request) override;
    void submit(std::unique_ptr<OutcomeRequest> request) override;
    void stop() override;
    CommitStats stats() const override;

private:
    // A queued request of either kind, owned until its callback has run.
    using Item = std::variant<std::unique_ptr<AcceptRequest>, std::unique_ptr<OutcomeRequest>>;

    void enqueue(Item item);
    void run();

    BatchWriter& writer_;
    const CommitLimits limits_;

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Item> queue_;  // guarded by mu_
    bool stopping_ = false;   // guarded by mu_

    std::atomic<uint64_t> batches_{0};
    std::atomic<uint64_t> requests_{0};
    std::atomic<uint64_t> max_batch_{0};

    std::mutex stop_mu_;  // serialises concurrent stop() calls around join()
    std::thread thread_;  // last: started once everything above exists
};

}  // namespace ringpost::store
