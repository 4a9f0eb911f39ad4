// Two awaitables built on the runtime's Completion hook (on_cqe), so that a
// whole SMTP reply, or a whole buffer, costs one co_await and no allocation:
//   co_await ReadReply(s)   -> the next reply's code (recv again while incomplete)
//   co_await SendAll(s, p, n) -> 0 once all n bytes are sent (send again on partial writes)
// Both return -errno on I/O errors and kClosed / kMalformed as below. Partial
// results are handled inside the CQE callback, which re-queues the operation
// with the same Completion, so the session's `pending` stays valid for cancels.
// The optional `stamp` receives the time the operation completed (latency).
#pragma once

#include <liburing.h>
#include <sys/socket.h>

#include <chrono>
#include <coroutine>
#include <string_view>
#include <type_traits>

#include "io/ring.hpp"
#include "load/session_state.hpp"

namespace ringpost::load {

using Clock = std::chrono::steady_clock;

inline constexpr int kClosed = -100001;     // peer closed the connection
inline constexpr int kMalformed = -100002;  // reply syntax error, or longer than the buffer

class ReadReply {
public:
    explicit ReadReply(SessionState& s, Clock::time_point* stamp = nullptr, std::string_view* text = nullptr)
        : s_(&s), stamp_(stamp), text_(text) {}

    bool await_ready() { return parse(); }
    void await_suspend(std::coroutine_handle<> h) {
        completion_.handle = h;
        completion_.on_cqe = &ReadReply::on_cqe;
        submit();
    }
    int await_resume() noexcept {
        s_->pending = nullptr;
        return result_;
    }

private:
    bool parse() {
        int code = 0;
        switch (s_->reader.next(code, text_)) {
            case ReplyReader::Status::complete:
                result_ = code;
                if (stamp_) *stamp_ = Clock::now();
                return true;
            case ReplyReader::Status::malformed:
                result_ = kMalformed;
                return true;
            case ReplyReader::Status::incomplete:
                break;
        }
        return false;
    }
    void submit() {
        char* at = s_->reader.prepare();
        io_uring_sqe* sqe = io::Ring::current()->sqe_for(&completion_);
        io_uring_prep_recv(sqe, s_->fd, at, s_->reader.space(), 0);
        s_->track(&completion_);
    }
    static void on_cqe(io::Completion* c, int32_t res, uint32_t) {
        auto* self = reinterpret_cast<ReadReply*>(c);
        if (res > 0) {
            self->s_->reader.commit(static_cast<size_t>(res));
            if (!self->parse()) {
                self->submit();
                return;
            }
        } else {
            self->result_ = res == 0 ? kClosed : res;
        }
        self->s_->pending = nullptr;
        io::Ring::current()->schedule(self->completion_.handle);
    }

    io::Completion completion_{};   // first member: on_cqe casts the Completion back
    SessionState* s_;
    Clock::time_point* stamp_;
    std::string_view* text_;
    int result_ = 0;
};

class SendAll {
public:
    SendAll(SessionState& s, std::string_view data, Clock::time_point* stamp = nullptr)
        : s_(&s), data_(data.data()), len_(data.size()), stamp_(stamp) {}

    bool await_ready() const noexcept { return len_ == 0; }
    void await_suspend(std::coroutine_handle<> h) {
        completion_.handle = h;
        completion_.on_cqe = &SendAll::on_cqe;
        submit();
    }
    int await_resume() noexcept {
        s_->pending = nullptr;
        return result_;
    }

private:
    void submit() {
        io_uring_sqe* sqe = io::Ring::current()->sqe_for(&completion_);
        io_uring_prep_send(sqe, s_->fd, data_ + sent_, len_ - sent_, MSG_NOSIGNAL);
        s_->track(&completion_);
    }
    static void on_cqe(io::Completion* c, int32_t res, uint32_t) {
        auto* self = reinterpret_cast<SendAll*>(c);
        if (res > 0) {
            self->sent_ += static_cast<size_t>(res);
            if (self->sent_ < self->len_) {
                self->submit();
                return;
            }
            self->result_ = 0;
            if (self->stamp_) *self->stamp_ = Clock::now();
        } else {
            self->result_ = res == 0 ? kClosed : res;
        }
        self->s_->pending = nullptr;
        io::Ring::current()->schedule(self->completion_.handle);
    }

    io::Completion completion_{};   // first member: on_cqe casts the Completion back
    SessionState* s_;
    const char* data_;
    size_t len_;
    size_t sent_ = 0;
    Clock::time_point* stamp_;
    int result_ = 0;
};

static_assert(std::is_standard_layout_v<ReadReply> && std::is_standard_layout_v<SendAll>,
              "the Completion-to-awaiter cast needs standard layout");

}  // namespace ringpost::load
