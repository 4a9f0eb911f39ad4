// BlockingPool on a real Ring: results come back on the ring thread, many
// concurrent calls from several coroutines, exceptions surface as errors,
// Result-returning functions are flattened, a full queue refuses at once,
// stop() finishes queued work before joining, and a fairness key limits
// the calls of one key running at once.
#include "io/blocking_pool.hpp"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "io/ops.hpp"
#include "io/ring.hpp"
#include "io/task.hpp"

using namespace ringpost;
using namespace std::chrono_literals;

namespace {

struct ThreadCheck {
    std::thread::id before, fn, after;
    int value = 0;
};

io::Task<void> one_call(io::Ring& ring, io::BlockingPool& pool, ThreadCheck& c) {
    c.before = std::this_thread::get_id();
    auto fn = [&c] {
        c.fn = std::this_thread::get_id();
        std::this_thread::sleep_for(5ms);   // really blocking
        return 42;
    };
    Result<int> r = co_await pool.run(fn);
    c.after = std::this_thread::get_id();
    c.value = r.ok() ? *r : -1;
    ring.stop();
}

}  // namespace

TEST(BlockingPool, ResultComesBackOnTheRingThread) {
    io::Ring ring(64);
    ring.bind_thread();
    io::BlockingPool pool;
    ThreadCheck c;
    io::spawn(one_call(ring, pool, c));
    ring.run();
    EXPECT_EQ(c.value, 42);
    EXPECT_EQ(c.before, std::this_thread::get_id());
    EXPECT_EQ(c.after, std::this_thread::get_id());
    EXPECT_NE(c.fn, std::this_thread::get_id());
    EXPECT_NE(c.fn, std::thread::id{});
}

namespace {

struct Tally {
    int coroutines_left = 0;
    long sum = 0;
    int wrong_thread = 0;
    int errors = 0;
};

io::Task<void> many_calls(io::Ring& ring, io::BlockingPool& pool, int base, int calls, Tally& t) {
    const auto ring_thread = std::this_thread::get_id();
    for (int i = 0; i < calls; ++i) {
        int x = base + i;
        auto call = pool.run([x] { return x * 2; });
        Result<int> r = co_await std::move(call);
        if (std::this_thread::get_id() != ring_thread) ++t.wrong_thread;
        if (r.ok()) t.sum += *r;
        else ++t.errors;
    }
    if (--t.coroutines_left == 0) ring.stop();
}

}  // namespace

TEST(BlockingPool, ManyConcurrentCallsFromSeveralCoroutines) {
    io::Ring ring(64);
    ring.bind_thread();
    io::BlockingPool pool(io::BlockingPool::Options{.threads = 3, .max_queued = 64, .name = "test-pool"});
    constexpr int kCoroutines = 16;
    constexpr int kCalls = 250;
    Tally t;
    t.coroutines_left = kCoroutines;
    long expected = 0;
    for (int c = 0; c < kCoroutines; ++c) {
        for (int i = 0; i < kCalls; ++i) expected += 2L * (c * 1000 + i);
        io::spawn(many_calls(ring, pool, c * 1000, kCalls, t));
    }
    ring.run();
    EXPECT_EQ(t.errors, 0);
    EXPECT_EQ(t.wrong_thread, 0);
    EXPECT_EQ(t.sum, expected);
    EXPECT_EQ(pool.threads(), 3u);
}

namespace {

struct Outcomes {
    Result<int> thrown = Error{};
    Result<int> thrown_other = Error{};
    Result<void> void_ok = Error{};
    Result<std::string> flattened_ok = Error{};
    Result<std::string> flattened_err = std::string();
    Result<std::string> owning_capture = Error{};
};

io::Task<void> odd_calls(io::Ring& ring, io::BlockingPool& pool, Outcomes& o) {
    auto boom = [] () -> int { throw std::runtime_error("boom"); };
    o.thrown = co_await pool.run(boom);
    auto other = [] () -> int { throw 7; };
    o.thrown_other = co_await pool.run(other);
    int touched = 0;
    auto v = [&touched] { touched = 1; };
    o.void_ok = co_await pool.run(v);
    if (touched != 1) o.void_ok = make_error("not run");
    auto good = [] { return Result<std::string>(std::string("fine")); };
    o.flattened_ok = co_await pool.run(good);
    auto bad = [] { return Result<std::string>(make_error("no such key", EIO)); };
    o.flattened_err = co_await pool.run(bad);
    // A named lambda owning a heap-allocated string is copied into the job
    // (a temporary one would not compile: see blocking_pool.hpp).
    auto owning = [s = std::string(200, 'x')] { return s + "!"; };
    o.owning_capture = co_await pool.run(owning);
    ring.stop();
}

}  // namespace

TEST(BlockingPool, ExceptionsBecomeErrorsAndResultsFlatten) {
    io::Ring ring(64);
    ring.bind_thread();
    io::BlockingPool pool(io::BlockingPool::Options{.threads = 1});
    Outcomes o;
    io::spawn(odd_calls(ring, pool, o));
    ring.run();
    ASSERT_FALSE(o.thrown.ok());
    EXPECT_EQ(o.thrown.error().code, io::BlockingPool::kThrew);
    EXPECT_NE(o.thrown.error().message.find("boom"), std::string::npos) << o.thrown.error().message;
    ASSERT_FALSE(o.thrown_other.ok());
    EXPECT_EQ(o.thrown_other.error().code, io::BlockingPool::kThrew);
    EXPECT_TRUE(o.void_ok.ok()) << o.void_ok.error().message;
    ASSERT_TRUE(o.flattened_ok.ok());
    EXPECT_EQ(*o.flattened_ok, "fine");
    ASSERT_FALSE(o.flattened_err.ok());
    EXPECT_EQ(o.flattened_err.error().code, std::errc::io_error);   // fn's own error passes through
    EXPECT_EQ(o.flattened_err.error().message, "no such key");
    ASSERT_TRUE(o.owning_capture.ok());
    EXPECT_EQ(*o.owning_capture, std::string(200, 'x') + "!");
}

namespace {

struct Gate {
    std::atomic<bool> started{false};
    std::atomic<bool> open{false};
};

struct FullQueue {
    int done = 0;
    int ok = 0;
    Result<int> refused = 0;
    std::chrono::steady_clock::duration refusal_took{};
};

io::Task<void> gated_call(io::Ring& ring, io::BlockingPool& pool, Gate& g, FullQueue& f, int total) {
    auto fn = [&g] {
        g.started = true;
        while (!g.open) std::this_thread::sleep_for(1ms);
        return 1;
    };
    Result<int> r = co_await pool.run(fn);
    if (r.ok()) ++f.ok;
    if (++f.done == total) ring.stop();
}

io::Task<void> overflow(io::Ring& ring, io::BlockingPool& pool, Gate& g, FullQueue& f) {
    // One call occupies the only thread, two fill the queue (max_queued 2).
    io::spawn(gated_call(ring, pool, g, f, 3));
    while (!g.started) co_await io::sleep_for(1ms);
    io::spawn(gated_call(ring, pool, g, f, 3));
    io::spawn(gated_call(ring, pool, g, f, 3));
    auto start = std::chrono::steady_clock::now();
    auto fn = [] { return 2; };
    f.refused = co_await pool.run(fn);   // refused without waiting
    f.refusal_took = std::chrono::steady_clock::now() - start;
    g.open = true;
}

}  // namespace

TEST(BlockingPool, FullQueueRefusesAtOnce) {
    io::Ring ring(64);
    ring.bind_thread();
    io::BlockingPool pool(io::BlockingPool::Options{.threads = 1, .max_queued = 2});
    Gate g;
    FullQueue f;
    io::spawn(overflow(ring, pool, g, f));
    ring.run();
    ASSERT_FALSE(f.refused.ok());
    EXPECT_EQ(f.refused.error().code, io::BlockingPool::kBusy);
    EXPECT_LT(f.refusal_took, 100ms);
    EXPECT_EQ(f.ok, 3);   // the queued ones still ran
}

namespace {

struct StopRun {
    int done = 0;
    int ok = 0;
    std::atomic<int> executed{0};
    Result<int> after_stop = 0;
};

io::Task<void> slow_call(io::Ring& ring, io::BlockingPool& pool, StopRun& s, int total) {
    auto fn = [&s] {
        std::this_thread::sleep_for(10ms);
        return ++s.executed;
    };
    Result<int> r = co_await pool.run(fn);
    if (r.ok()) ++s.ok;
    if (++s.done == total) {
        auto late = [] { return 3; };
        s.after_stop = co_await pool.run(late);
        ring.stop();
    }
}

}  // namespace

TEST(BlockingPool, StopFinishesQueuedWorkThenJoins) {
    io::Ring ring(64);
    ring.bind_thread();
    io::BlockingPool pool(io::BlockingPool::Options{.threads = 1, .max_queued = 100});
    StopRun s;
    constexpr int kCalls = 8;
    for (int i = 0; i < kCalls; ++i) io::spawn(slow_call(ring, pool, s, kCalls));
    // Every call is submitted (spawn runs each up to its suspension).
    size_t queued_at_stop = pool.queued();
    std::thread stopper([&] { pool.stop(); });
    ring.run();   // the completions posted during stop() arrive here
    stopper.join();
    EXPECT_GE(queued_at_stop, kCalls - 1u);
    EXPECT_EQ(s.executed.load(), kCalls);
    EXPECT_EQ(s.ok, kCalls);
    ASSERT_FALSE(s.after_stop.ok());
    EXPECT_EQ(s.after_stop.error().code, io::BlockingPool::kStopped);
}

TEST(BlockingPool, AwaitedOutsideARingFails) {
    io::BlockingPool pool(io::BlockingPool::Options{.threads = 1});
    Result<int> got = 0;
    auto outside = [](io::BlockingPool& p, Result<int>& out) -> io::Task<void> {
        auto fn = [] { return 1; };
        out = co_await p.run(fn);
    };
    std::thread t([&] { io::spawn(outside(pool, got)); });
    t.join();
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, io::BlockingPool::kNoRing);
}

namespace {

// Fairness: key 1 ("a user with many sessions") sends four calls that each
// wait until key 2's single call has run (at most 2 s); key 2 sends one.
struct Fairness {
    std::atomic<bool> b_ran{false};
    std::atomic<int> a_running{0};
    std::atomic<int> a_max_running{0};
    std::atomic<int> a_waited_out{0};   // calls of key 1 that never saw key 2's run
    int done = 0;
};

io::Task<void> keyed_call(io::Ring& ring, io::BlockingPool& pool, Fairness& f, bool is_a, int total) {
    auto a_fn = [&f] {
        int now = ++f.a_running;
        int seen = f.a_max_running.load();
        while (now > seen && !f.a_max_running.compare_exchange_weak(seen, now)) {
        }
        auto deadline = std::chrono::steady_clock::now() + 2s;
        while (!f.b_ran && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
        if (!f.b_ran) ++f.a_waited_out;
        --f.a_running;
        return 1;
    };
    auto b_fn = [&f] {
        f.b_ran = true;
        return 2;
    };
    Result<int> r = 0;
    if (is_a)
        r = co_await pool.run(a_fn, 1);
    else
        r = co_await pool.run(b_fn, 2);
    EXPECT_TRUE(r.ok());
    if (++f.done == total) ring.stop();
}

}  // namespace

TEST(BlockingPool, OneKeyCannotOccupyEveryThread) {
    io::Ring ring(64);
    ring.bind_thread();
    io::BlockingPool pool(io::BlockingPool::Options{.threads = 2, .max_queued = 100, .max_running_per_key = 1});
    Fairness f;
    for (int i = 0; i < 4; ++i) io::spawn(keyed_call(ring, pool, f, true, 5));
    io::spawn(keyed_call(ring, pool, f, false, 5));
    ring.run();
    EXPECT_EQ(f.done, 5);
    EXPECT_EQ(f.a_max_running.load(), 1);   // key 1 never held both threads
    EXPECT_EQ(f.a_waited_out.load(), 0);    // key 2 overtook key 1's queued calls
}

namespace {
io::Task<void> nice_of_pool_thread(io::Ring& ring, io::BlockingPool& pool, int& nice, int& ring_nice) {
    auto read_nice = [] {
        errno = 0;
        return ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
    };
    ring_nice = read_nice();
    Result<int> r = co_await pool.run(read_nice);
    nice = r.ok() ? *r : -100;
    ring.stop();
}
}  // namespace

TEST(BlockingPool, NiceLowersThePriorityOfThePoolThreadsOnly) {
    // Work handed off a ring must give the cores back to the rings: the pool
    // threads run at a higher nice value, the calling thread keeps its own.
    io::Ring ring(64);
    ring.bind_thread();
    io::BlockingPool::Options options;
    options.nice = 5;
    io::BlockingPool pool(options);
    int nice = -100, ring_nice = -100;
    io::spawn(nice_of_pool_thread(ring, pool, nice, ring_nice));
    ring.run();
    ASSERT_NE(ring_nice, -100);
    EXPECT_EQ(nice, std::min(ring_nice + 5, 19));
    errno = 0;
    EXPECT_EQ(::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid))), ring_nice);
}
