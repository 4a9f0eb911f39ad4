// BlockingPool: a small fixed set of plain threads for work that blocks and
// so must never run on a ring thread (RocksDB reads, password hashing).
//
//     auto r = co_await pool.run([&] { return store.read(key); });
//
// suspends the calling coroutine, runs the function on a pool thread, and
// resumes the coroutine on the ring it was running on (Ring::post, then
// Ring::schedule: it resumes in that ring's next loop turn, never inside a
// CQE walk and never on the pool thread). The answer is a Result:
//   * fn returns R          -> Result<R>
//   * fn returns void       -> Result<void>
//   * fn returns Result<U>  -> Result<U> (fn's own errors pass through)
// with the pool's own errors (io::PoolErrc, pool_error.hpp) when the call
// never ran or threw.
//
// Back-pressure: the queue of calls waiting for a thread is bounded. A call
// over the bound fails at once with kBusy instead of waiting: a ring thread
// must never block, and a caller that gets kBusy answers "try later" (POP3
// -ERR [SYS/TEMP], SMTP 4xx), which is what an overloaded backend means.
//
// Fairness: a call may carry a key (a caller's identity, e.g. a hash of a
// user name; 0 = none). With Options::max_running_per_key, no more calls
// of one key run at once: the others wait in the queue, behind their own
// key's, while calls of other keys overtake them, so one client with many
// connections cannot occupy every thread of the pool.
//
// Shutdown: stop() refuses new calls (kStopped), lets the threads finish
// everything already queued (their callers are resumed normally), then
// joins them. The rings of the callers must outlive stop(): completions are
// posted to them. The destructor calls stop().
//
// One allocation per call (the job: the function, the caller's handle and
// the result slot). The job is owned by the awaiter in the caller's frame;
// a pool thread only borrows it between dequeue and post, so a coroutine
// suspended in run() must not be destroyed before it resumes (as with any
// operation of this runtime). A Call never awaited submits nothing.
//
// g++ 12: a temporary with a non-trivial destructor passed as an argument
// inside a co_await expression is destroyed twice (a lambda capturing a
// std::string by value, written straight into `co_await pool.run(...)`, is
// a double free; the Call that run() returns, the awaited operand itself,
// is not affected). run() therefore refuses, at
// compile time, an rvalue function object that is not trivially
// destructible: pass a named lambda (it is copied into the job), or a
// temporary one whose captures are references, pointers or scalars.
#pragma once

#include <condition_variable>
#include <coroutine>
#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <type_traits>
#include <utility>
#include <vector>

#include "io/pool_error.hpp"
#include "io/ring.hpp"
#include "util/result.hpp"

namespace ringpost::io {

class BlockingPool;

namespace detail {

template <class R>
struct PoolResult {
    using type = Result<R>;
};
template <class U>
struct PoolResult<Result<U>> {
    using type = Result<U>;
};

// What a pool thread sees: run the work, then hand the caller back to its ring.
struct PoolJob {
    virtual ~PoolJob() = default;
    virtual void execute() noexcept = 0;
    Ring* ring = nullptr;
    std::coroutine_handle<> handle;
    uint64_t key = 0;   // fairness key (0 = none)
};

template <class T>
struct PoolJobResult : PoolJob {
    std::optional<T> result;   // T is a Result<...>
};

Error pool_exception_error(std::exception_ptr e);

template <class T, class F>
struct PoolJobFor final : PoolJobResult<T> {
    explicit PoolJobFor(F&& f) : fn(std::move(f)) {}
    explicit PoolJobFor(const F& f) : fn(f) {}
    void execute() noexcept override {
        try {
            using R = std::invoke_result_t<F&>;
            if constexpr (std::is_void_v<R>) {
                fn();
                this->result.emplace();
            } else {
                this->result.emplace(fn());
            }
        } catch (...) {
            this->result.emplace(pool_exception_error(std::current_exception()));
        }
    }
    F fn;
};

}  // namespace detail

class BlockingPool {
public:
    // The pool's own errors (Error::code), also as BlockingPool::kBusy, ...
    // (constants: g++ 12 crashes on a class-scope `using enum` in templates).
    static constexpr PoolErrc kBusy = PoolErrc::kBusy;
    static constexpr PoolErrc kStopped = PoolErrc::kStopped;
    static constexpr PoolErrc kThrew = PoolErrc::kThrew;
    static constexpr PoolErrc kNoRing = PoolErrc::kNoRing;

    struct Options {
        unsigned threads = 2;
        size_t max_queued = 1024;   // calls waiting for a thread (running ones not counted)
        const char* name = "rp-blocking";   // thread name (15 characters at most are kept)
        unsigned max_running_per_key = 0;   // calls of one key running at once; 0 = no limit
        // Added to the nice value of each pool thread (Linux schedules
        // threads one by one): work handed off a ring, such as matching a
        // large message or hashing a password, then yields the cores to the
        // ring threads whenever they have work, so it cannot add its
        // CPU time to other connections' latency. 0 = as the process.
        int nice = 0;
    };

    BlockingPool() : BlockingPool(Options{}) {}
    explicit BlockingPool(Options options);
    ~BlockingPool();
    BlockingPool(const BlockingPool&) = delete;
    BlockingPool& operator=(const BlockingPool&) = delete;

    // The awaitable returned by run(): owns the job; resumes with its Result.
    template <class T>
    class [[nodiscard]] Call {
    public:
        Call(BlockingPool& pool, std::unique_ptr<detail::PoolJobResult<T>> job)
            : pool_(&pool), job_(std::move(job)) {}
        Call(Call&&) noexcept = default;
        Call& operator=(Call&&) noexcept = default;

        bool await_ready() const noexcept { return false; }
        // False (resume at once) when the call is refused; the reason is in the result.
        bool await_suspend(std::coroutine_handle<> h) {
            job_->handle = h;
            job_->ring = Ring::current();
            if (!job_->ring) {
                job_->result.emplace(make_error("blocking pool awaited outside a ring thread", kNoRing));
                return false;
            }
            Error refusal;
            if (!pool_->submit(job_.get(), refusal)) {
                job_->result.emplace(std::move(refusal));
                return false;
            }
            return true;
        }
        T await_resume() { return std::move(*job_->result); }

    private:
        BlockingPool* pool_;
        std::unique_ptr<detail::PoolJobResult<T>> job_;
    };

    template <class F>
    using CallFor = Call<typename detail::PoolResult<std::invoke_result_t<std::decay_t<F>&>>::type>;

    // Runs `fn()` on a pool thread when awaited (see the top of this file);
    // `key` groups calls for fairness (see there).
    template <class F>
    CallFor<F> run(F&& fn, uint64_t key = 0) {
        static_assert(std::is_lvalue_reference_v<F> || std::is_trivially_destructible_v<std::decay_t<F>>,
                      "BlockingPool::run: pass a named function object (g++ 12 destroys non-trivial "
                      "temporaries in co_await expressions twice; see blocking_pool.hpp)");
        using T = typename detail::PoolResult<std::invoke_result_t<std::decay_t<F>&>>::type;
        using Job = detail::PoolJobFor<T, std::decay_t<F>>;
        auto job = std::make_unique<Job>(std::forward<F>(fn));
        job->key = key;
        return CallFor<F>(*this, std::move(job));
    }

    // Refuse new calls, finish the queued ones, join the threads. Idempotent;
    // call it from a thread that is not one of the pool's.
    void stop();

    size_t threads() const { return threads_.size(); }
    size_t queued() const;   // calls waiting for a thread now

private:
    bool submit(detail::PoolJob* job, Error& refusal);
    void worker();
    // The first queued call whose key may run now (queue_.end() if none); under mu_.
    std::deque<detail::PoolJob*>::iterator next_runnable();

    Options options_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<detail::PoolJob*> queue_;
    std::unordered_map<uint64_t, unsigned> running_per_key_;   // keys with calls running
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace ringpost::io
