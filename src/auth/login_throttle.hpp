// Failed logins, counted per client IP: each failure is answered only after
// a delay that grows with the recent failures of that address (2 s, 4 s, ...
// up to 10 s, like Dovecot's auth_failure_delay made progressive), so that
// guessing passwords costs time, while a user who mistypes once barely
// notices. A success or 10 quiet minutes reset the count. Shared by every
// worker (POP3 now, IMAP and SMTP AUTH later): thread-safe, bounded.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ringpost::auth {

class LoginThrottle {
public:
    using Clock = std::chrono::steady_clock;

    // Records a failure from `ip`; returns how long to wait before answering.
    std::chrono::milliseconds failed(std::string_view ip, Clock::time_point now = Clock::now());
    void succeeded(std::string_view ip);
    // Failures currently counted for `ip` (tests, logs).
    unsigned failures(std::string_view ip, Clock::time_point now = Clock::now());

    static constexpr std::chrono::milliseconds kStep{2000};
    static constexpr std::chrono::milliseconds kMaxDelay{10000};
    static constexpr std::chrono::minutes kForget{10};
    static constexpr size_t kMaxAddresses = 100000;

private:
    struct Entry {
        unsigned failures = 0;
        Clock::time_point last;
    };
    std::mutex mu_;
    std::unordered_map<std::string, Entry> entries_;
};

}  // namespace ringpost::auth
