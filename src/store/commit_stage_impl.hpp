// The group-commit thread behind CommitStage (commit_stage.hpp).
//
// submit() only appends to a queue under a mutex and signals a condition
// variable -- no I/O, so it is safe on ring threads. The commit thread takes
// every waiting request at once (up to a cap), hands them to a BatchWriter
// that turns them into one synced write, then runs each callback. While one
// fsync is in progress new requests pile up and form the next batch, so the
// batch size adapts to load by itself. Accepts (from SMTP sessions) and
// outcomes (from the delivery engine) wait in the same queue, in submission
// order, and share batches with every other write of the store (mailbox,
// user and queue administration: WriteRequest): one fsync serves all, and
// the commit thread is the store's only writer.
//
// The writer is an interface so the batching logic is testable without a
// database; in the product it is the Store (accept.cpp).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <thread>
#include <variant>
#include <vector>

#include "store/commit_stage.hpp"

namespace ringpost::store {

class WriteTxn;  // write_txn.hpp

// Any other write of the store (users, mailboxes, flags, expunge, queue
// administration): the commit stage is the only writer, so every write is
// a request that joins the next batch. Not part of CommitStage: only the
// store itself submits these (StoreImpl::run_write).
struct WriteRequest {
    // Runs on the commit thread with the batch being built: reads see the
    // database plus everything the batch's earlier requests added, so a
    // read-modify-write (UIDs, counters, flags, body references) needs no
    // lock. It does all its reads and checks before it adds anything; if it
    // fails anyway, whatever it added is rolled back.
    std::function<Result<void>(WriteTxn&)> build;
    size_t bytes = 0;  // message bytes it adds (APPEND), for the batch's byte cap
    // False: a write whose loss in a crash costs nothing that matters
    // (greylisting's records): like an EventRequest it forces no fsync of
    // its own, and the next synced batch makes it durable.
    bool sync = true;
    std::function<void(const Result<void>&)> on_done;
};

// One request of a batch as the writer sees it (the stage keeps ownership).
using CommitRef = std::variant<AcceptRequest*, OutcomeRequest*, WriteRequest*, EventRequest*>;

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
    void submit(std::unique_ptr<EventRequest> request) override;
    void submit(std::unique_ptr<WriteRequest> request);
    void stop() override;
    CommitStats stats() const override;
    // True on the commit thread itself, where waiting for a batch would
    // wait forever.
    bool on_commit_thread() const { return std::this_thread::get_id() == thread_id_.load(); }
    // Requests waiting for a batch (tests).
    size_t queued() const;

private:
    // A queued request of any kind, owned until its callback has run.
    using Item = std::variant<std::unique_ptr<AcceptRequest>, std::unique_ptr<OutcomeRequest>,
                              std::unique_ptr<WriteRequest>, std::unique_ptr<EventRequest>>;

    void enqueue(Item item);
    void run();

    BatchWriter& writer_;
    const CommitLimits limits_;

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Item> queue_;  // guarded by mu_
    bool stopping_ = false;   // guarded by mu_

    std::atomic<uint64_t> batches_{0};
    std::atomic<uint64_t> requests_{0};
    std::atomic<uint64_t> max_batch_{0};

    std::atomic<std::thread::id> thread_id_{};
    std::mutex stop_mu_;  // serialises concurrent stop() calls around join()
    std::thread thread_;  // last: started once everything above exists
};

}  // namespace ringpost::store
