#include "server/connection_limiter.hpp"

namespace ringpost::server {

ConnectionLimiter::Verdict ConnectionLimiter::acquire(const uint8_t ip16[16]) {
    const IpKey key = ip_key(ip16);
    std::lock_guard<std::mutex> lock(mu_);
    if (max_total_ && total_ >= max_total_) return Verdict::kTooManyTotal;
    uint32_t& n = per_ip_[key];
    if (max_per_ip_ && n >= max_per_ip_) {
        if (n == 0) per_ip_.erase(key);
        return Verdict::kTooManyFromIp;
    }
    ++n;
    ++total_;
    return Verdict::kOk;
}

void ConnectionLimiter::release(const uint8_t ip16[16]) {
    const IpKey key = ip_key(ip16);
    std::lock_guard<std::mutex> lock(mu_);
    auto it = per_ip_.find(key);
    if (it == per_ip_.end()) return;
    if (--it->second == 0) per_ip_.erase(it);
    --total_;
}

uint32_t ConnectionLimiter::total() const {
    std::lock_guard<std::mutex> lock(mu_);
    return total_;
}

}  // namespace ringpost::server
