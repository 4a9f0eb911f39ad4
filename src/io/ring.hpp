// Ring: one io_uring per worker thread, and the loop that drives coroutines.
//
// The loop is batched (see liburing's proxy example, co_context, Seastar):
// resume every ready coroutine (each queues SQEs), submit once, reap every
// CQE, and only then resume the woken coroutines. A completion never resumes
// its coroutine from inside the CQE walk.
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

    // A free SQE; when the submission queue is full it submits and retries, so it never fails.
    io_uring_sqe* sqe();
    // Make sure `n` SQEs can be taken without an intermediate submit.
    void reserve_sqes(unsigned n) {
        if (io_uring_sq_space_left(&ring_) < n) io_uring_submit(&ring_);
    }
    // Queue an SQE for `c` (sets user_data).
    io_uring_sqe* sqe_for(Completion* c);

    // Same thread: resume `h` in the next loop turn.
    void schedule(std::coroutine_handle<> h) { ready_.push_back(h); }
    // Any thread: run `fn` on this ring's thread in its next loop turn.
    void post(std::function<void()> fn);

    // Ask the kernel to cancel the operation whose user_data is `c`.
    void cancel(Completion* c);

    // Run until stop() is called (from this thread or through post()).
    void run();
    void stop() { stop_ = true; }

    const RingFeatures& features() const { return features_; }
    RingFeatures& features() { return features_; }
    io_uring* raw() { return &ring_; }

private:
    void arm_wakeup();
    void drain_posted();
    void reap();
    static void on_wakeup(Completion* self, int32_t result, uint32_t flags);

    io_uring ring_{};
    RingFeatures features_;
    std::vector<std::coroutine_handle<>> ready_;
    std::vector<std::coroutine_handle<>> running_;
    bool stop_ = false;

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
    std::atomic<bool> wake_pending_{false};
};

}  // namespace ringpost::io
