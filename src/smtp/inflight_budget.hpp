// The process-wide budget of in-flight message bytes: message data that
// SMTP sessions hold in memory between DATA/BDAT and the commit (issue 11,
// item 3). Shared by every worker thread. Each session reserves what its
// message buffer needs, in chunks (kChunk), before it reads more; when a
// reservation fails the driver stops reading (backpressure: the kernel's
// TCP window then slows the client) and tries again on a timer. Nothing
// is refused: past the budget, sessions wait.
//
// Two limits: the total (`[smtp] max_inflight_bytes`) and each client IP's
// share (`max_inflight_bytes_per_ip`), so one address cannot take the whole
// budget. 0 = no limit.
//
// Progress: N sessions could each hold part of the budget and all wait for
// more, and none would ever finish (and a message larger than the budget
// could never be accepted). So one session at a time may overdraw: the
// first whose reservation fails while no other holds the overdraft takes
// it, and from then on its reservations always succeed, past both limits,
// until its message is committed or dropped. That session never waits, so
// it finishes (or its DATA deadline cuts it), gives the overdraft back and
// the next waiter takes it. Per-session minimums were the alternative, but
// they bound nothing when sessions are many (20000 x a minimum) and still
// stall a message larger than its minimum. Memory is bounded by the budget
// plus one message (max_message_size) plus one chunk per session.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ringpost::smtp {

class InflightBudget {
    struct IpEntry;

public:
    // Reservations are whole chunks: the shared counters are touched once
    // per chunk, never per read.
    static constexpr uint64_t kChunk = 256 * 1024;

    // 0 = no limit.
    InflightBudget(uint64_t max_total, uint64_t max_per_ip) : max_total_(max_total), max_per_ip_(max_per_ip) {}
    InflightBudget(const InflightBudget&) = delete;
    InflightBudget& operator=(const InflightBudget&) = delete;

    // One session's reservations, for one client address. Used by one
    // thread (the session's); the budget itself is thread-safe.
    class Account {
    public:
        // `budget` null: no budget, every reservation succeeds.
        Account(InflightBudget* budget, std::string ip) : budget_(budget), ip_(std::move(ip)) {}
        ~Account();
        Account(const Account&) = delete;
        Account& operator=(const Account&) = delete;

        // Makes sure at least `bytes` are reserved (rounded up to chunks).
        // False: over the total or the IP's share, and another session
        // holds the overdraft; nothing was reserved, try again later.
        bool reserve(uint64_t bytes);
        // The message was committed or dropped: gives everything back
        // (and the overdraft, if this account held it).
        void release();

        uint64_t reserved() const { return reserved_; }
        bool overdrawn() const { return overdrawn_; }

    private:
        bool take(uint64_t bytes, bool force);

        InflightBudget* budget_;
        std::string ip_;
        IpEntry* share_ = nullptr;   // attached on the first reservation
        uint64_t reserved_ = 0;
        bool overdrawn_ = false;
    };

    // Bytes reserved now, in total and by one address (for tests and logs).
    uint64_t used() const { return used_.load(std::memory_order_relaxed); }
    uint64_t used_by(const std::string& ip) const;
    uint64_t max_total() const { return max_total_; }
    uint64_t max_per_ip() const { return max_per_ip_; }

private:
    struct IpEntry {
        std::atomic<uint64_t> used{0};
        uint32_t accounts = 0;   // under mu_
    };
    IpEntry* attach(const std::string& ip);
    void detach(const std::string& ip);

    const uint64_t max_total_;
    const uint64_t max_per_ip_;
    std::atomic<uint64_t> used_{0};
    std::atomic<const Account*> overdraft_{nullptr};
    mutable std::mutex mu_;   // the map only: touched when an account attaches or ends
    std::unordered_map<std::string, std::unique_ptr<IpEntry>> per_ip_;

    friend class Account;
};

}  // namespace ringpost::smtp
