// Worker thread: builds its sessions, runs its ring, enforces the bounds
// through a ticker coroutine (see worker.hpp).
#include "load/worker.hpp"

#include <algorithm>
#include <exception>

#include <sys/socket.h>
#include <unistd.h>

#include "io/ops.hpp"
#include "load/session.hpp"

namespace ringpost::load {

namespace {

constexpr io::Duration kTick{100};
constexpr auto kStopGrace = std::chrono::seconds(5);   // after a stop, then give up on stragglers

unsigned ring_entries(unsigned sessions) {
    unsigned n = 256;
    while (n < 2 * sessions && n < 32768) n *= 2;
    return n;
}

}  // namespace

Worker::Worker(Shared& shared, unsigned first_session, unsigned sessions, unsigned gate_tokens)
    : shared_(shared), first_session_(first_session), count_(sessions), gate_(gate_tokens, sessions) {}

void Worker::start() { thread_ = std::thread([this] { thread_main(); }); }

void Worker::join() {
    if (thread_.joinable()) thread_.join();
}

void Worker::release() {
    std::lock_guard<std::mutex> lock(ring_mu_);
    if (ring_) ring_->post([this] { stop_sessions(); });
}

void Worker::thread_main() {
    try {
        const Options& o = options();
        const bool idle = o.idle > 0;
        // Idle sessions only read the greeting and the EHLO reply.
        const size_t buffer = idle ? std::min<size_t>(o.recv_buffer, 4096) : o.recv_buffer;
        for (unsigned i = 0; i < count_; ++i) {
            sessions_.emplace_back(first_session_ + i, buffer, &tick_);
            if (!idle) sessions_.back().message = std::make_unique<MessageTemplate>(o, first_session_ + i);
        }
        io::Ring ring(ring_entries(count_));
        ring.bind_thread();
        {
            std::lock_guard<std::mutex> lock(ring_mu_);
            ring_ = &ring;
        }
        active_ = count_;
        const bool tls = o.tls != Options::Tls::none;
        for (auto& s : sessions_) io::spawn(tls ? run_tls_session(*this, s) : run_session(*this, s));
        io::spawn(ticker());
        ring.run();
        {
            std::lock_guard<std::mutex> lock(ring_mu_);
            ring_ = nullptr;
        }
        for (auto& s : sessions_) {   // only after a forced stop
            if (s.tls) {
                s.tls.reset();   // closes the socket
                s.fd = -1;
            }
            if (s.fd >= 0) ::close(s.fd);
        }
    } catch (const std::exception& e) {
        error_ = e.what();
        end_time_ = Clock::now();
    }
}

void Worker::session_end() {
    if (--active_ == 0) {
        end_time_ = Clock::now();
        if (ticker_pending_) io::Ring::current()->cancel(ticker_pending_);
    }
}

void Worker::stop_sessions() {
    if (!stopping_) {
        stopping_ = true;
        stop_time_ = Clock::now();
        gate_.open_all();
    }
    for (auto& s : sessions_) {
        if (s.pending) io::Ring::current()->cancel(s.pending);
        if (s.tls) {
            // TLS steps run inside TlsStream (own timeouts, no Completion here): cancel
            // its recv, and shut the socket so that a send or handshake ends too.
            s.tls_slot.cancel();
            if (s.fd >= 0) ::shutdown(s.fd, SHUT_RDWR);
        }
    }
}

io::Task<void> Worker::ticker() {
    const auto io_ticks = static_cast<uint32_t>(std::max(1.0, options().io_timeout * 1000.0 / kTick.count()));
    const bool idle = options().idle > 0;
    io::Ring& ring = *io::Ring::current();
    while (active_ > 0) {
        auto sleep = io::sleep_for(kTick);
        ticker_pending_ = &sleep.completion;
        co_await sleep;
        ticker_pending_ = nullptr;
        if (active_ == 0) break;
        ++tick_;
        const auto now = Clock::now();
        // The idle hold is ended by the main thread (release()), not by the deadline.
        if (!idle && now >= shared_.deadline) stop_sessions();
        if (stopping_) {
            if (now - stop_time_ > kStopGrace) break;   // sessions that ignore cancels: give up
            if (tick_ % 10 == 0) stop_sessions();       // repeat the cancels now and then
            continue;
        }
        for (auto& s : sessions_) {
            if (s.pending && !s.untimed && tick_ - s.op_tick >= io_ticks) {
                s.timed_out = true;
                s.op_tick = tick_;   // one cancel per timeout period
                ring.cancel(s.pending);
            }
        }
    }
    if (active_ > 0) end_time_ = Clock::now();
    ring.stop();
}

}  // namespace ringpost::load
