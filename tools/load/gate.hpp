// Gate: a counting semaphore for coroutines of one ring (no locking), used
// to bound how many connection handshakes are in flight, so that thousands
// of sessions do not overflow the server's listen backlog at once.
// Waiters are resumed in FIFO order through Ring::schedule.
#pragma once

#include <coroutine>
#include <cstddef>
#include <vector>

#include "io/ring.hpp"

namespace ringpost::load {

class Gate {
public:
    Gate(unsigned tokens, size_t max_waiters) : available_(tokens) { waiters_.reserve(max_waiters); }

    struct Awaiter {
        Gate& gate;
        bool await_ready() noexcept {
            if (gate.open_) return true;
            if (gate.available_ == 0) return false;
            --gate.available_;
            return true;
        }
        void await_suspend(std::coroutine_handle<> h) { gate.waiters_.push_back(h); }
        void await_resume() const noexcept {}
    };
    // co_await gate.acquire(); ... gate.release();
    Awaiter acquire() { return Awaiter{*this}; }

    void release() {
        if (head_ < waiters_.size()) {
            auto h = waiters_[head_++];
            if (head_ == waiters_.size()) {
                waiters_.clear();
                head_ = 0;
            }
            io::Ring::current()->schedule(h);   // the token passes to the waiter
        } else {
            ++available_;
        }
    }

    // Stop limiting: wake every waiter (at shutdown).
    void open_all() {
        open_ = true;
        for (size_t i = head_; i < waiters_.size(); ++i) io::Ring::current()->schedule(waiters_[i]);
        waiters_.clear();
        head_ = 0;
    }

private:
    unsigned available_;
    bool open_ = false;
    std::vector<std::coroutine_handle<>> waiters_;
    size_t head_ = 0;
};

}  // namespace ringpost::load
