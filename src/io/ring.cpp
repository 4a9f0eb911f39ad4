#include "io/ring.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace ringpost::io {
namespace {
thread_local Ring* t_current = nullptr;
}

Ring::Ring(unsigned entries) {
    io_uring_params params{};
    // Newer kernels: one issuer thread and task work deferred to our wait
    // call mean fewer interrupts and cheaper completions. Fall back to plain
    // setup where the kernel does not know the flags (pre 6.1).
    params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    int rc = io_uring_queue_init_params(entries, &ring_, &params);
    if (rc == 0) {
        features_.single_issuer = true;
    } else {
        params = io_uring_params{};
        rc = io_uring_queue_init_params(entries, &ring_, &params);
        if (rc < 0) throw std::system_error(-rc, std::generic_category(), "io_uring_queue_init");
    }
    event_fd_ = ::eventfd(0, EFD_CLOEXEC);
    if (event_fd_ < 0) {
        io_uring_queue_exit(&ring_);
        throw std::system_error(errno, std::generic_category(), "eventfd");
    }
    wakeup_.completion.on_cqe = &Ring::on_wakeup;
    wakeup_.ring = this;
    ready_.reserve(256);
    running_.reserve(256);
    reaped_.reserve(256);
    dispatching_.reserve(256);
}

Ring::~Ring() {
    close();
    if (t_current == this) t_current = nullptr;
    io_uring_queue_exit(&ring_);
    if (event_fd_ >= 0) ::close(event_fd_);
}

Ring* Ring::current() { return t_current; }
void Ring::bind_thread() { t_current = this; }

io_uring_sqe* Ring::sqe() {
    for (;;) {
        io_uring_sqe* s = io_uring_get_sqe(&ring_);
        if (s) return s;
        make_room(1);
    }
}

void Ring::make_room(unsigned n) {
    while (io_uring_sq_space_left(&ring_) < n) {
        io_uring_submit(&ring_);
        if (io_uring_sq_space_left(&ring_) >= n) return;
        // The kernel took nothing (-EBUSY while its completion queue has
        // overflowed, -EAGAIN): make room in the CQ, which the loop handles
        // in its next dispatch, and wait for a completion if there was none.
        if (reap() == 0) {
            io_uring_cqe* cqe = nullptr;
            io_uring_wait_cqe(&ring_, &cqe);
            reap();
        }
    }
}

io_uring_sqe* Ring::sqe_for(Completion* c) {
    io_uring_sqe* s = sqe();
    io_uring_sqe_set_data(s, c);
    return s;
}

void Ring::cancel(Completion* c) {
    io_uring_sqe* s = sqe();
    io_uring_prep_cancel(s, c, 0);
    io_uring_sqe_set_data(s, nullptr);
}

void Ring::post(std::function<void()> fn) {
    {
        std::unique_lock<std::mutex> lock(posted_mu_);
        if (closed_) {
            // Destroyed here, on the poster's thread, outside the lock: what
            // it holds is released now.
            lock.unlock();
            fn = nullptr;
            return;
        }
        posted_.push_back(std::move(fn));
    }
    // One eventfd write per batch of posts: the flag is cleared by the ring
    // thread before it drains the queue.
    if (!wake_pending_.exchange(true, std::memory_order_acq_rel)) {
        uint64_t one = 1;
        ssize_t n = ::write(event_fd_, &one, sizeof one);
        (void)n;  // EAGAIN is impossible below 2^64-1; nothing to do otherwise
    }
}

void Ring::arm_wakeup() {
    io_uring_sqe* s = sqe_for(&wakeup_.completion);
    io_uring_prep_read(s, event_fd_, &event_value_, sizeof event_value_, 0);
}

void Ring::close() {
    std::vector<std::function<void()>> dropped;
    {
        std::lock_guard<std::mutex> lock(posted_mu_);
        closed_ = true;
        dropped.swap(posted_);
    }
}

void Ring::on_wakeup(Completion* self, int32_t, uint32_t) {
    Ring* ring = reinterpret_cast<Wakeup*>(self)->ring;
    ring->posts_due_ = true;
    ring->arm_wakeup();
}

void Ring::drain_posted() {
    posts_due_ = false;
    wake_pending_.store(false, std::memory_order_release);
    {
        std::lock_guard<std::mutex> lock(posted_mu_);
        posted_run_.swap(posted_);
    }
    for (auto& fn : posted_run_) fn();
    posted_run_.clear();
}

unsigned Ring::reap() {
    io_uring_cqe* cqe;
    unsigned head;
    unsigned count = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
        ++count;
        auto* c = static_cast<Completion*>(io_uring_cqe_get_data(cqe));
        if (c) reaped_.push_back(Reaped{c, cqe->res, cqe->flags});
    }
    io_uring_cq_advance(&ring_, count);
    return count;
}

void Ring::dispatch() {
    // Hooks may take SQEs, and sqe() may reap into reaped_: iterate a copy.
    dispatching_.swap(reaped_);
    for (const Reaped& r : dispatching_) {
        Completion* c = r.completion;
        if (c->on_cqe) {
            c->on_cqe(c, r.result, r.flags);
        } else {
            c->result = r.result;
            c->flags = r.flags;
            if (c->handle) ready_.push_back(c->handle);
        }
    }
    dispatching_.clear();
}

void Ring::run() {
    bind_thread();
    arm_wakeup();
    while (!stop_) {
        // Resume everything that is ready; resumed coroutines may make more
        // ready (schedule()), which the inner loop picks up too.
        while (!ready_.empty()) {
            running_.swap(ready_);
            for (auto h : running_) h.resume();
            running_.clear();
        }
        if (stop_) break;
        // Completions reaped by sqe() while the queue was full are waiting
        // already: do not block for another one.
        const unsigned wait = reaped_.empty() ? 1 : 0;
        int rc = io_uring_submit_and_wait(&ring_, wait);
        if (rc < 0 && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN && rc != -ETIME)
            throw std::system_error(-rc, std::generic_category(), "io_uring_submit_and_wait");
        reap();
        dispatch();
        // Posted work, after the completion queue has been advanced; also
        // posts noticed without an eventfd round trip.
        if (posts_due_ || wake_pending_.load(std::memory_order_acquire)) drain_posted();
    }
    io_uring_submit(&ring_);
}

}  // namespace ringpost::io
