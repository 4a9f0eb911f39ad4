// Acceptor: turns a listening socket into a stream of accepted fds.
// Uses one multishot accept (one SQE, many CQEs) where the kernel has it
// (5.19+), and falls back to one accept SQE per connection otherwise.
// Accepted fds wait in a small queue until the accept loop takes them.
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

    // co_await acceptor.next(): the next accepted fd (>= 0), or -errno;
    // -ECANCELED once stop() was called.
    struct NextAwaiter {
        Acceptor& self;
        bool await_ready() const noexcept { return !self.ready_.empty() || self.stopped_; }
        void await_suspend(std::coroutine_handle<> h) noexcept { self.waiter_ = h; }
        int await_resume() noexcept;
    };
    NextAwaiter next() { return NextAwaiter{*this}; }

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
    Slot slot_{};
    std::deque<int> ready_;
    std::coroutine_handle<> waiter_;
};

}  // namespace ringpost::io
