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
}

Ring::~Ring() {
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
        io_uring_submit(&ring_);
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
        std::lock_guard<std::mutex> lock(posted_mu_);
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

void Ring::on_wakeup(Completion* self, int32_t, uint32_t) {
    Ring* ring = reinterpret_cast<Wakeup*>(self)->ring;
    ring->drain_posted();
    ring->arm_wakeup();
}

void Ring::drain_posted() {
    wake_pending_.store(false, std::memory_order_release);
    {
        std::lock_guard<std::mutex> lock(posted_mu_);
        posted_run_.swap(posted_);
    }
    for (auto& fn : posted_run_) fn();
    posted_run_.clear();
}

void Ring::reap() {
    io_uring_cqe* cqe;
    unsigned head;
    unsigned count = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
        ++count;
        auto* c = static_cast<Completion*>(io_uring_cqe_get_data(cqe));
        if (!c) continue;
        if (c->on_cqe) {
            c->on_cqe(c, cqe->res, cqe->flags);
        } else {
            c->result = cqe->res;
            c->flags = cqe->flags;
            if (c->handle) ready_.push_back(c->handle);
        }
    }
    io_uring_cq_advance(&ring_, count);
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
        int rc = io_uring_submit_and_wait(&ring_, 1);
        if (rc < 0 && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN)
            throw std::system_error(-rc, std::generic_category(), "io_uring_submit_and_wait");
        reap();
        // Also run posts noticed without an eventfd round trip.
        if (wake_pending_.load(std::memory_order_acquire)) drain_posted();
    }
    io_uring_submit(&ring_);
}

}  // namespace ringpost::io
