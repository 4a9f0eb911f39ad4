// Task<T>: a lazily started C++20 coroutine. Awaiting it runs it at once on
// the caller's stack; if it finishes without suspending (a cache hit, an
// empty FETCH item list) the caller simply goes on, so a loop over many such
// awaits never deepens the stack (symmetric transfer would, in builds where
// the compiler does not turn it into a tail call: -fsanitize=address). If it
// suspends, its completion later resumes the caller by symmetric transfer. spawn() runs a
// Task<void> detached: its frame frees itself when it finishes. This is the
// only coroutine type of the runtime; awaitables live in ops.hpp.
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

namespace ringpost::io {

template <class T>
class Task;

namespace detail {

struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
        // Finished inside the caller's await_suspend: the caller goes on by
        // itself (await_suspend returns false).
        if (h.promise().running_inline) return std::noop_coroutine();
        auto next = h.promise().continuation;
        return next ? next : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
};

struct PromiseBase {
    std::coroutine_handle<> continuation;
    bool running_inline = false;   // started by an awaiter, has not suspended yet
    std::exception_ptr exception;
    std::suspend_always initial_suspend() const noexcept { return {}; }
    FinalAwaiter final_suspend() const noexcept { return {}; }
    void unhandled_exception() noexcept { exception = std::current_exception(); }
};

}  // namespace detail

template <class T = void>
class [[nodiscard]] Task {
public:
    struct promise_type : detail::PromiseBase {
        std::optional<T> value;
        Task get_return_object() { return Task(std::coroutine_handle<promise_type>::from_promise(*this)); }
        template <class U>
        void return_value(U&& v) { value.emplace(std::forward<U>(v)); }
    };

    Task(Task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
    Task& operator=(Task&& other) noexcept {
        if (this != &other) {
            if (h_) h_.destroy();
            h_ = std::exchange(other.h_, {});
        }
        return *this;
    }
    ~Task() {
        if (h_) h_.destroy();
    }

    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> caller) noexcept {
        auto& p = h_.promise();
        p.continuation = caller;
        p.running_inline = true;
        h_.resume();
        if (h_.done()) return false;   // finished synchronously: do not suspend the caller
        p.running_inline = false;      // suspended: its completion resumes the caller
        return true;
    }
    T await_resume() {
        if (h_.promise().exception) std::rethrow_exception(h_.promise().exception);
        return std::move(*h_.promise().value);
    }

private:
    explicit Task(std::coroutine_handle<promise_type> h) : h_(h) {}
    std::coroutine_handle<promise_type> h_;
};

template <>
class [[nodiscard]] Task<void> {
public:
    struct promise_type : detail::PromiseBase {
        Task get_return_object() { return Task(std::coroutine_handle<promise_type>::from_promise(*this)); }
        void return_void() const noexcept {}
    };

    Task(Task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
    Task& operator=(Task&& other) noexcept {
        if (this != &other) {
            if (h_) h_.destroy();
            h_ = std::exchange(other.h_, {});
        }
        return *this;
    }
    ~Task() {
        if (h_) h_.destroy();
    }

    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> caller) noexcept {
        auto& p = h_.promise();
        p.continuation = caller;
        p.running_inline = true;
        h_.resume();
        if (h_.done()) return false;   // finished synchronously: do not suspend the caller
        p.running_inline = false;      // suspended: its completion resumes the caller
        return true;
    }
    void await_resume() {
        if (h_.promise().exception) std::rethrow_exception(h_.promise().exception);
    }

private:
    explicit Task(std::coroutine_handle<promise_type> h) : h_(h) {}
    std::coroutine_handle<promise_type> h_;
};

namespace detail {

// A fire-and-forget coroutine: starts at once, destroys itself at the end.
struct Detached {
    struct promise_type {
        Detached get_return_object() const noexcept { return {}; }
        std::suspend_never initial_suspend() const noexcept { return {}; }
        std::suspend_never final_suspend() const noexcept { return {}; }
        void return_void() const noexcept {}
        void unhandled_exception() const noexcept { std::terminate(); }
    };
};

inline Detached run_detached(Task<void> task) { co_await std::move(task); }

}  // namespace detail

// Start `task` now on the current thread; it runs until its first suspension
// and is then driven by completions. Exceptions escaping it terminate the
// process: session code handles its own errors (Result values).
inline void spawn(Task<void> task) { detail::run_detached(std::move(task)); }

}  // namespace ringpost::io
