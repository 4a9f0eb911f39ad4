// Worker: one thread, one io::Ring, and the sessions it drives. Also the
// state shared by all workers (message counter, deadline, idle progress).
// A ticker coroutine per worker enforces --io-timeout and --timeout by
// cancelling operations, and stops the ring once every session has ended.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "io/ring.hpp"
#include "io/task.hpp"
#include "load/gate.hpp"
#include "load/options.hpp"
#include "load/session_state.hpp"
#include "load/stats.hpp"
#include "tls/context.hpp"

namespace ringpost::load {

using Clock = std::chrono::steady_clock;

struct Shared {
    explicit Shared(const Options& o) : options(o) {}
    const Options& options;
    Clock::time_point start;
    Clock::time_point deadline;
    std::atomic<uint64_t> next_id{0};          // messages claimed so far
    std::atomic<unsigned> idle_settled{0};     // idle sessions past their handshake (ok or not)
    std::shared_ptr<tls::ClientContext> tls;   // --starttls/--smtps (read-only once the workers run)

    // Takes the next message number; false once all --messages are taken.
    bool claim(uint64_t& id) {
        id = next_id.fetch_add(1, std::memory_order_relaxed);
        return id < options.messages;
    }
    bool exhausted() const { return next_id.load(std::memory_order_relaxed) >= options.messages; }
    uint64_t claimed() const {
        const uint64_t n = next_id.load(std::memory_order_relaxed);
        return n < options.messages ? n : options.messages;
    }
};

class Worker {
public:
    Worker(Shared& shared, unsigned first_session, unsigned sessions, unsigned gate_tokens);
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    void start();
    void join();
    // Any thread: end the idle hold (cancel everything, sessions close).
    void release();

    // After join().
    const Stats& stats() const { return stats_; }
    Clock::time_point end_time() const { return end_time_; }
    const std::string& error() const { return error_; }

    // For the session coroutines (worker thread only).
    Shared& shared() { return shared_; }
    const Options& options() const { return shared_.options; }
    Stats& stats() { return stats_; }
    Gate& gate() { return gate_; }
    bool stopping() const { return stopping_; }
    void session_end();

private:
    void thread_main();
    io::Task<void> ticker();
    void stop_sessions();

    Shared& shared_;
    unsigned first_session_;
    unsigned count_;
    Gate gate_;
    std::deque<SessionState> sessions_;   // stable addresses
    Stats stats_;
    std::thread thread_;
    std::string error_;

    // worker-thread state
    io::Ring* ring_ = nullptr;            // guarded by ring_mu_ for release()
    std::mutex ring_mu_;
    uint32_t tick_ = 0;
    unsigned active_ = 0;
    bool stopping_ = false;
    Clock::time_point stop_time_{};
    io::Completion* ticker_pending_ = nullptr;
    Clock::time_point end_time_{};
};

}  // namespace ringpost::load
