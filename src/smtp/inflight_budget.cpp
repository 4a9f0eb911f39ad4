#include "smtp/inflight_budget.hpp"

namespace ringpost::smtp {
namespace {

// Adds `n` to `counter` unless that passes `max` (0 = no limit).
bool add_within(std::atomic<uint64_t>& counter, uint64_t n, uint64_t max) {
    uint64_t cur = counter.load(std::memory_order_relaxed);
    do {
        if (max != 0 && (cur > max || n > max - cur)) return false;
    } while (!counter.compare_exchange_weak(cur, cur + n, std::memory_order_relaxed));
    return true;
}

}  // namespace

InflightBudget::IpEntry* InflightBudget::attach(const std::string& ip) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& entry = per_ip_[ip];
    if (!entry) entry = std::make_unique<IpEntry>();
    ++entry->accounts;
    return entry.get();
}

void InflightBudget::detach(const std::string& ip) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = per_ip_.find(ip);
    if (it != per_ip_.end() && --it->second->accounts == 0) per_ip_.erase(it);
}

uint64_t InflightBudget::used_by(const std::string& ip) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = per_ip_.find(ip);
    return it == per_ip_.end() ? 0 : it->second->used.load(std::memory_order_relaxed);
}

InflightBudget::Account::~Account() {
    release();
    if (share_) budget_->detach(ip_);
}

bool InflightBudget::Account::take(uint64_t bytes, bool force) {
    if (force) {
        budget_->used_.fetch_add(bytes, std::memory_order_relaxed);
        share_->used.fetch_add(bytes, std::memory_order_relaxed);
        return true;
    }
    if (!add_within(budget_->used_, bytes, budget_->max_total_)) return false;
    if (!add_within(share_->used, bytes, budget_->max_per_ip_)) {
        budget_->used_.fetch_sub(bytes, std::memory_order_relaxed);
        return false;
    }
    return true;
}

bool InflightBudget::Account::reserve(uint64_t bytes) {
    if (bytes <= reserved_) return true;   // the fast path: a compare per read
    if (budget_ == nullptr) {
        reserved_ = bytes;
        return true;
    }
    if (!share_) share_ = budget_->attach(ip_);
    const uint64_t want = (bytes + kChunk - 1) / kChunk * kChunk;
    const uint64_t more = want - reserved_;
    if (!take(more, overdrawn_)) {
        // Over a limit: take the overdraft if nobody holds it (see the header).
        const Account* none = nullptr;
        if (!budget_->overdraft_.compare_exchange_strong(none, this, std::memory_order_acq_rel)) return false;
        overdrawn_ = true;
        take(more, true);
    }
    reserved_ = want;
    return true;
}

void InflightBudget::Account::release() {
    if (budget_ != nullptr && reserved_ != 0) {
        budget_->used_.fetch_sub(reserved_, std::memory_order_relaxed);
        share_->used.fetch_sub(reserved_, std::memory_order_relaxed);
    }
    reserved_ = 0;
    if (overdrawn_) {
        budget_->overdraft_.store(nullptr, std::memory_order_release);
        overdrawn_ = false;
    }
}

}  // namespace ringpost::smtp
