// Ring: one io_uring per worker thread, and the loop that drives coroutines.
//
// The rules of the loop (see liburing's proxy example, co_context, Seastar):
//   * One turn: resume every ready coroutine (each queues SQEs), submit
//     once, then reap: copy every CQE out of the completion queue and
//     advance it once. Only after that are the reaped completions handled
//     (a waiting coroutine goes onto the ready queue; a multishot hook such
//     as the acceptor's runs) and posted work runs. Nothing runs inside the
//     CQE walk, so a handler may take SQEs, submit and even reap again.
//   * A coroutine is only ever resumed by the loop from the ready queue:
//     from another thread use post_resume(h), never post([h]{ h.resume(); }).
//   * Getting an SQE never fails: when the submission queue is full, sqe()
//     submits; if the kernel takes nothing (its completion queue overflowed),
//     it reaps into the loop's queue and waits for one completion, then
//     tries again.
//   * Lifetimes: post() may be called from any thread as long as the Ring
//     object exists. Its owner keeps it alive until every producer that
//     might post to it (blocking pools, the commit stage, the delivery
//     engine, the mailbox hub) has stopped (server/server.cpp), and calls
//     close() once the loop has ended: later posts are dropped at once,
//     releasing what they hold, and the coroutines they would have resumed
//     stay suspended (leaked, never destroyed under their feet).
//
// The completion record (Completion) lives in the awaiting coroutine's frame
// and its address is the SQE's user_data; nothing is allocated per operation.
// user_data 0 marks CQEs nobody waits for (linked timeouts, cancels).
#pragma once

#include <liburing.h>

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace ringpost::io {

struct Completion {
    std::coroutine_handle<> handle;
    int32_t result = 0;
    uint32_t flags = 0;
    // For multishot operations: called for every CQE instead of storing the
    // result and resuming `handle`.
    void (*on_cqe)(Completion* self, int32_t result, uint32_t flags) = nullptr;
};

struct RingFeatures {
    bool single_issuer = false;   // IORING_SETUP_SINGLE_ISSUER | DEFER_TASKRUN accepted
    bool multishot_accept = true; // cleared at the first -EINVAL
};

class Ring {
public:
    explicit Ring(unsigned entries = 4096);   // throws std::system_error (startup only)
    ~Ring();
    Ring(const Ring&) = delete;
    Ring& operator=(const Ring&) = delete;

    // The ring of the calling thread (set while run() executes, or by bind_thread()).
    static Ring* current();
    void bind_thread();

    // A free SQE; when the submission queue is full it submits (and reaps,
    // if the kernel takes nothing) until there is room, so it never fails.
    io_uring_sqe* sqe();
    // Make sure `n` SQEs can be taken without an intermediate submit.
    void reserve_sqes(unsigned n) { make_room(n); }
    // Queue an SQE for `c` (sets user_data).
    io_uring_sqe* sqe_for(Completion* c);

    // Same thread: resume `h` in the next loop turn.
    void schedule(std::coroutine_handle<> h) { ready_.push_back(h); }
    // Any thread: run `fn` on this ring's thread in its next loop turn
    // (outside the CQE walk). After close() `fn` is destroyed unrun.
    void post(std::function<void()> fn);
    // Any thread: resume `h` on this ring's thread (through the ready queue).
    void post_resume(std::coroutine_handle<> h) {
        post([this, h] { schedule(h); });
    }
    // Owner, once run() has returned for good: drop queued and later posts.
    void close();

    // Ask the kernel to cancel the operation whose user_data is `c`.
    void cancel(Completion* c);

    // Run until stop() is called (from this thread or through post()).
    void run();
    void stop() { stop_ = true; }

    const RingFeatures& features() const { return features_; }
    RingFeatures& features() { return features_; }
    io_uring* raw() { return &ring_; }

private:
    struct Reaped {
        Completion* completion;
        int32_t result;
        uint32_t flags;
    };
    void arm_wakeup();
    void drain_posted();
    void make_room(unsigned n);
    // Copies every CQE into reaped_ and advances the CQ; returns how many.
    unsigned reap();
    // Handles what reap() collected: waiters to the ready queue, hooks run.
    void dispatch();
    static void on_wakeup(Completion* self, int32_t result, uint32_t flags);

    io_uring ring_{};
    RingFeatures features_;
    std::vector<std::coroutine_handle<>> ready_;
    std::vector<std::coroutine_handle<>> running_;
    std::vector<Reaped> reaped_;
    std::vector<Reaped> dispatching_;
    bool stop_ = false;
    bool posts_due_ = false;   // the wake-up read completed: drain after dispatch

    // Cross-thread wake-up: an eventfd with a read always outstanding.
    // Completion first, so the CQE hook can get back to its ring.
    struct Wakeup {
        Completion completion;
        Ring* ring = nullptr;
    };
    int event_fd_ = -1;
    uint64_t event_value_ = 0;
    Wakeup wakeup_{};
    std::mutex posted_mu_;
    std::vector<std::function<void()>> posted_;
    std::vector<std::function<void()>> posted_run_;
    bool closed_ = false;   // under posted_mu_
    std::atomic<bool> wake_pending_{false};
};

}  // namespace ringpost::io
