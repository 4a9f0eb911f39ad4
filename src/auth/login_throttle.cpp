#include "auth/login_throttle.hpp"

#include <algorithm>

namespace ringpost::auth {

std::chrono::milliseconds LoginThrottle::failed(std::string_view ip, Clock::time_point now) {
    std::lock_guard lock(mu_);
    if (entries_.size() >= kMaxAddresses) {
        // Under a spray of addresses: forget the stale ones; if none are
        // stale, start over rather than grow without bound.
        std::erase_if(entries_, [&](const auto& kv) { return now - kv.second.last > kForget; });
        if (entries_.size() >= kMaxAddresses) entries_.clear();
    }
    Entry& e = entries_[std::string(ip)];
    if (e.failures > 0 && now - e.last > kForget) e.failures = 0;
    e.failures += 1;
    e.last = now;
    auto delay = kStep * e.failures;
    return std::min<std::chrono::milliseconds>(delay, kMaxDelay);
}

void LoginThrottle::succeeded(std::string_view ip) {
    std::lock_guard lock(mu_);
    entries_.erase(std::string(ip));
}

unsigned LoginThrottle::failures(std::string_view ip, Clock::time_point now) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(std::string(ip));
    if (it == entries_.end() || now - it->second.last > kForget) return 0;
    return it->second.failures;
}

}  // namespace ringpost::auth
