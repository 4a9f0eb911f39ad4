#include "io/acceptor.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace ringpost::io {

Acceptor::Acceptor(Ring& ring, int listen_fd)
    : ring_(ring), listen_fd_(listen_fd), multishot_(ring.features().multishot_accept) {
    slot_.completion.on_cqe = &Acceptor::on_cqe;
    slot_.owner = this;
    arm();
}

Acceptor::~Acceptor() {
    for (int fd : ready_) ::close(fd);
}

void Acceptor::arm() {
    if (stopped_ || armed_ || failed_) return;
    io_uring_sqe* s = ring_.sqe_for(&slot_.completion);
    if (multishot_)
        io_uring_prep_multishot_accept(s, listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    else
        io_uring_prep_accept(s, listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    armed_ = true;
}

void Acceptor::on_cqe(Completion* c, int32_t result, uint32_t flags) {
    Acceptor* self = reinterpret_cast<Slot*>(c)->owner;
    // A multishot accept stays armed only while the kernel says so; a
    // single-shot one (or the fallback) always needs a new SQE.
    const bool more = self->multishot_ && (flags & IORING_CQE_F_MORE);
    if (!more) self->armed_ = false;
    if (result == -EINVAL && self->multishot_ && !more) {
        // Kernel without multishot accept: fall back for this ring.
        self->multishot_ = false;
        self->ring_.features().multishot_accept = false;
    } else if (result >= 0) {
        if (self->stopped_) ::close(result);
        else self->ready_.push_back(result);
    } else if (result != -ECANCELED && result != -EAGAIN && result != -EINTR) {
        // EMFILE/ENFILE/ENOMEM etc.: reported once; the loop backs off and
        // calls resume(). A multishot accept that still runs (F_MORE) is
        // left alone: its next CQE comes when the kernel has one.
        self->error_ = result;
        self->failed_ = !more;
    }
    self->arm();
    if (self->waiter_ && (!self->ready_.empty() || self->error_ || self->stopped_)) {
        self->ring_.schedule(std::exchange(self->waiter_, {}));
    }
}

int Acceptor::NextAwaiter::await_resume() noexcept {
    if (self.stopped_) return -ECANCELED;
    // Connections accepted before the error go first.
    if (!self.ready_.empty()) {
        int fd = self.ready_.front();
        self.ready_.pop_front();
        return fd;
    }
    return std::exchange(self.error_, 0);
}

void Acceptor::resume() {
    failed_ = false;
    arm();
}

void Acceptor::stop() {
    if (stopped_) return;
    stopped_ = true;
    if (armed_) ring_.cancel(&slot_.completion);
    if (waiter_) ring_.schedule(std::exchange(waiter_, {}));
}

}  // namespace ringpost::io
