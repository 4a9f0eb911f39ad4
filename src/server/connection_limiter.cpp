#include "server/connection_limiter.hpp"

#include <cstring>

namespace ringpost::server {

size_t ConnectionLimiter::KeyHash::operator()(const Key& k) const noexcept {
    uint64_t a, b;
    std::memcpy(&a, k.data(), 8);
    std::memcpy(&b, k.data() + 8, 8);
    return static_cast<size_t>((a * 0x9E3779B97F4A7C15ull) ^ (b + 0x7F4A7C159E3779B9ull + (a << 6)));
}

ConnectionLimiter::Verdict ConnectionLimiter::acquire(const uint8_t ip16[16]) {
    Key key;
    std::memcpy(key.data(), ip16, 16);
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
    Key key;
    std::memcpy(key.data(), ip16, 16);
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
