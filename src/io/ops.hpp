// Awaitable I/O operations on the current thread's Ring: recv, send,
// accept, connect, close, sleep. Each awaiter holds its Completion (and any
// kernel-visible arguments such as the timeout) in the coroutine frame, so an
// operation allocates nothing.
//
// Results follow the kernel: >= 0 on success, -errno on failure. A timeout
// given to recv/send/connect is a linked timeout; when it fires the
// operation completes with -ECANCELED (callers that never cancel explicitly
// read that as "timed out"; see Connection::cancel in the protocol drivers).
#pragma once

#include <sys/socket.h>

#include <cerrno>

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>

#include "io/ring.hpp"

namespace ringpost::io {

using Duration = std::chrono::milliseconds;

inline __kernel_timespec to_timespec(Duration d) {
    __kernel_timespec ts{};
    ts.tv_sec = d.count() / 1000;
    ts.tv_nsec = (d.count() % 1000) * 1000000;
    return ts;
}

// Where an owner (a session) can find the operation it waits on, to cancel
// it from outside (graceful shutdown). Set while suspended, cleared after.
struct CancelSlot {
    Completion* pending = nullptr;
    bool cancelled = false;
    void cancel() {
        cancelled = true;
        if (pending) Ring::current()->cancel(pending);
    }
};

// Common part: suspend, let prepare() fill an SQE, resume with the result.
// An operation started after its slot was cancelled completes at once with
// -ECANCELED instead of being submitted.
template <class Derived>
struct OpAwaiter {
    Completion completion{};
    CancelSlot* slot = nullptr;
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) {
        if (slot && slot->cancelled) {
            completion.result = -ECANCELED;
            return false;
        }
        completion.handle = h;
        Ring& ring = *Ring::current();
        if (slot) slot->pending = &completion;
        // An operation and its linked timeout must go into the same
        // submission: if the timeout's SQE forced a submit in between, the
        // kernel would run the operation unlinked, without a timeout.
        if (static_cast<Derived*>(this)->sqes_needed() > 1) ring.reserve_sqes(2);
        static_cast<Derived*>(this)->prepare(ring, ring.sqe_for(&completion));
        return true;
    }
    int await_resume() noexcept {
        if (slot) slot->pending = nullptr;
        return completion.result;
    }
    unsigned sqes_needed() const { return 1; }
};

// Adds an optional linked timeout after the operation's SQE.
inline void link_timeout(Ring& ring, io_uring_sqe* op, const __kernel_timespec* ts) {
    op->flags |= IOSQE_IO_LINK;
    io_uring_sqe* t = ring.sqe();
    io_uring_prep_link_timeout(t, const_cast<__kernel_timespec*>(ts), 0);
    io_uring_sqe_set_data(t, nullptr);
}

struct RecvOp : OpAwaiter<RecvOp> {
    unsigned sqes_needed() const { return timed ? 2 : 1; }
    int fd;
    void* buf;
    size_t len;
    __kernel_timespec ts;
    bool timed;
    int flags = 0;   // MSG_PEEK: look without taking
    RecvOp(int f, void* b, size_t l, Duration timeout)
        : fd(f), buf(b), len(l), ts(to_timespec(timeout)), timed(timeout.count() > 0) {}
    void prepare(Ring& ring, io_uring_sqe* s) {
        io_uring_prep_recv(s, fd, buf, len, flags);
        if (timed) link_timeout(ring, s, &ts);
    }
};

struct SendOp : OpAwaiter<SendOp> {
    unsigned sqes_needed() const { return timed ? 2 : 1; }
    int fd;
    const void* buf;
    size_t len;
    __kernel_timespec ts;
    bool timed;
    SendOp(int f, const void* b, size_t l, Duration timeout)
        : fd(f), buf(b), len(l), ts(to_timespec(timeout)), timed(timeout.count() > 0) {}
    void prepare(Ring& ring, io_uring_sqe* s) {
        io_uring_prep_send(s, fd, buf, len, MSG_NOSIGNAL);
        if (timed) link_timeout(ring, s, &ts);
    }
};

struct AcceptOp : OpAwaiter<AcceptOp> {
    int fd;
    sockaddr* addr;
    socklen_t* addrlen;
    AcceptOp(int f, sockaddr* a, socklen_t* l) : fd(f), addr(a), addrlen(l) {}
    void prepare(Ring&, io_uring_sqe* s) { io_uring_prep_accept(s, fd, addr, addrlen, SOCK_CLOEXEC); }
};

struct ConnectOp : OpAwaiter<ConnectOp> {
    unsigned sqes_needed() const { return timed ? 2 : 1; }
    int fd;
    const sockaddr* addr;
    socklen_t addrlen;
    __kernel_timespec ts;
    bool timed;
    ConnectOp(int f, const sockaddr* a, socklen_t l, Duration timeout)
        : fd(f), addr(a), addrlen(l), ts(to_timespec(timeout)), timed(timeout.count() > 0) {}
    void prepare(Ring& ring, io_uring_sqe* s) {
        io_uring_prep_connect(s, fd, addr, addrlen);
        if (timed) link_timeout(ring, s, &ts);
    }
};

struct CloseOp : OpAwaiter<CloseOp> {
    int fd;
    explicit CloseOp(int f) : fd(f) {}
    void prepare(Ring&, io_uring_sqe* s) { io_uring_prep_close(s, fd); }
};

struct SleepOp : OpAwaiter<SleepOp> {
    __kernel_timespec ts;
    explicit SleepOp(Duration d) : ts(to_timespec(d)) {}
    void prepare(Ring&, io_uring_sqe* s) { io_uring_prep_timeout(s, &ts, 0, 0); }
    // A timer "fails" with -ETIME when it expires normally.
    int await_resume() noexcept {
        int r = OpAwaiter<SleepOp>::await_resume();
        return r == -ETIME ? 0 : r;
    }
};

inline RecvOp recv(int fd, void* buf, size_t len, Duration timeout = Duration{0}, CancelSlot* slot = nullptr) {
    RecvOp op{fd, buf, len, timeout};
    op.slot = slot;
    return op;
}
// Waits for input and looks at it without taking it (MSG_PEEK): > 0 bytes
// there, 0 at EOF, -ECANCELED at the timeout or on `slot`.
inline RecvOp peek(int fd, void* buf, size_t len, Duration timeout, CancelSlot* slot = nullptr) {
    RecvOp op = recv(fd, buf, len, timeout, slot);
    op.flags = MSG_PEEK;
    return op;
}
inline SendOp send(int fd, const void* buf, size_t len, Duration timeout = Duration{0}) { return {fd, buf, len, timeout}; }
inline AcceptOp accept(int fd, sockaddr* addr = nullptr, socklen_t* len = nullptr) { return {fd, addr, len}; }
inline ConnectOp connect(int fd, const sockaddr* addr, socklen_t len, Duration timeout = Duration{0}) {
    return {fd, addr, len, timeout};
}
inline CloseOp close(int fd) { return CloseOp{fd}; }
inline SleepOp sleep_for(Duration d) { return SleepOp{d}; }

}  // namespace ringpost::io
