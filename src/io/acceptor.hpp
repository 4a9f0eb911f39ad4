// Acceptor: turns a listening socket into a stream of accepted fds.
// Uses one multishot accept (one SQE, many CQEs) where the kernel has it
// (5.19+), and falls back to one accept SQE per connection otherwise.
// Accepted fds wait in a small queue until the accept loop takes them.
//
// A failed accept (EMFILE, ENFILE, ENOMEM, ...) is not retried here: the
// kernel ends a multishot accept on error (no IORING_CQE_F_MORE), and
// re-arming at once would fail again at once, in a tight loop, as long as
// the connection waits in the backlog. The error goes to the accept loop
// once; the acceptor stays disarmed until the loop calls resume() after
// its back-off. So nothing piles up however long descriptors are short.
#pragma once

#include <coroutine>
#include <deque>

#include "io/ring.hpp"

namespace ringpost::io {

class Acceptor {
public:
    Acceptor(Ring& ring, int listen_fd);
    ~Acceptor();
    Acceptor(const Acceptor&) = delete;
    Acceptor& operator=(const Acceptor&) = delete;

    // co_await acceptor.next(): the next accepted fd (>= 0), or -errno of a
    // failed accept (then call resume() to accept again); -ECANCELED once
    // stop() was called.
    struct NextAwaiter {
        Acceptor& self;
        bool await_ready() const noexcept { return !self.ready_.empty() || self.error_ || self.stopped_; }
        void await_suspend(std::coroutine_handle<> h) noexcept { self.waiter_ = h; }
        int await_resume() noexcept;
    };
    NextAwaiter next() { return NextAwaiter{*this}; }

    // Accept again after next() returned an error.
    void resume();
    // Stop accepting: cancels the outstanding accept and wakes the waiter.
    void stop();
    bool multishot() const { return multishot_; }

private:
    struct Slot {
        Completion completion;
        Acceptor* owner;
    };
    void arm();
    static void on_cqe(Completion* c, int32_t result, uint32_t flags);

    Ring& ring_;
    int listen_fd_;
    bool multishot_;
    bool armed_ = false;
    bool stopped_ = false;
    bool failed_ = false;   // an error was reported: stay disarmed until resume()
    int error_ = 0;         // -errno not yet taken by next()
    Slot slot_{};
    std::deque<int> ready_;   // accepted fds only; at most a backlog's worth
    std::coroutine_handle<> waiter_;
};

}  // namespace ringpost::io
