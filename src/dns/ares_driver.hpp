// AresDriver: one c-ares channel driven by one io::Ring, never blocking.
//
// c-ares reports the sockets it wants watched through its socket-state
// callback; each socket gets a one-shot IORING_OP_POLL_ADD, re-armed after
// every completion (and cancelled and re-armed when the interest changes,
// e.g. a TCP socket that wants to write). Its timeouts run on ring timers:
// after every step the driver asks ares_timeout() for the next deadline and
// keeps a ring timeout armed for it; on expiry it calls
// ares_process_fd(ARES_SOCKET_BAD, ARES_SOCKET_BAD).
//
// The records of in-flight ring operations (polls, timers) are heap objects
// owned by the driver until their CQE arrives. shutdown() destroys the
// channel (pending queries complete with ARES_EDESTRUCTION), cancels every
// operation and waits for their CQEs; the destructor does the same without
// waiting (the records are then freed when the ring reaps the cancellations).
// Use from the ring's thread only; destroy before the ring.
#pragma once

#include <ares.h>

#include <chrono>
#include <coroutine>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dns/dns_types.hpp"
#include "io/ring.hpp"
#include "io/task.hpp"
#include "util/result.hpp"

namespace ringpost::dns {

// "127.0.0.1:5353", "[::1]:53", "::1", "192.0.2.1" -> c-ares' CSV form
// ("127.0.0.1:5353,[::1]:53,[::1]:53,192.0.2.1:53"), or the bad entry.
Result<std::string> servers_csv(const std::vector<std::string>& servers);

class AresDriver {
public:
    static Result<std::unique_ptr<AresDriver>> create(io::Ring& ring, const ResolverOptions& options);
    ~AresDriver();
    AresDriver(const AresDriver&) = delete;
    AresDriver& operator=(const AresDriver&) = delete;

    // Start ares_query(name, C_IN, type). `callback` runs exactly once:
    // later from a ring completion, or at once (invalid name, shut down).
    void query(const std::string& name, int type, ares_callback callback, void* arg);

    // Destroy the channel and wait until no ring operation is in flight.
    io::Task<void> shutdown();

    // Ring operations in flight (polls and timers), for tests.
    size_t operations_in_flight() const { return watches_.size() + timers_.size(); }
    size_t sockets_watched() const { return by_fd_.size(); }

private:
    struct Watch;
    struct PollSlot {
        io::Completion completion;  // first: the CQE hook casts back
        Watch* watch = nullptr;
    };
    struct Watch {
        AresDriver* driver = nullptr;
        int fd = -1;
        short want = 0;            // POLLIN/POLLOUT wanted by c-ares
        short armed_mask = 0;
        bool armed = false;
        bool cancel_sent = false;
        bool closed = false;       // c-ares closed the socket
        bool busy = false;         // inside ares_process_fd for this socket
        int in_flight = 0;
        unsigned next_slot = 0;
        PollSlot* active = nullptr;
        PollSlot slots[2];         // alternate, so a stale cancel never hits a new poll
    };
    struct Timer {
        io::Completion completion;  // first
        AresDriver* driver = nullptr;
        __kernel_timespec ts{};
        std::chrono::steady_clock::time_point deadline;
    };

    AresDriver(io::Ring& ring) : ring_(ring) {}
    static void on_sock_state(void* data, ares_socket_t fd, int readable, int writable);
    static void on_poll(io::Completion* c, int32_t result, uint32_t flags);
    static void on_timer(io::Completion* c, int32_t result, uint32_t flags);
    void sock_state(int fd, bool readable, bool writable);
    void arm(Watch* w);
    void maybe_free(Watch* w);
    void update_timer();
    void cancel_all();
    void note_drained();

    io::Ring& ring_;
    ares_channel channel_ = nullptr;
    std::unordered_map<int, Watch*> by_fd_;     // open sockets
    std::unordered_set<Watch*> watches_;        // all, incl. closed ones awaiting CQEs
    std::unordered_set<Timer*> timers_;
    std::coroutine_handle<> drained_waiter_;
};

}  // namespace ringpost::dns
