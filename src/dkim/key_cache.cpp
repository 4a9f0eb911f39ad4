#include "dkim/key_cache.hpp"

namespace ringpost::dkim {

std::shared_ptr<const Result<KeyRecord>> KeyRecordCache::get(std::string_view text) {
    {
        std::lock_guard lock(mutex_);
        if (auto it = records_.find(std::string(text)); it != records_.end()) return it->second;
        ++parses_;
    }
    // Read outside the lock: two threads may read one new text at once; the
    // first to insert wins, and both results are the same.
    auto parsed = std::make_shared<const Result<KeyRecord>>(parse_key_record(text));
    if (text.size() > kMaxText || capacity_ == 0) return parsed;
    std::lock_guard lock(mutex_);
    auto [it, inserted] = records_.try_emplace(std::string(text), parsed);
    if (!inserted) return it->second;
    order_.emplace_back(text);
    if (order_.size() > capacity_) {
        records_.erase(order_.front());
        order_.pop_front();
    }
    return parsed;
}

size_t KeyRecordCache::size() const {
    std::lock_guard lock(mutex_);
    return records_.size();
}

uint64_t KeyRecordCache::parses() const {
    std::lock_guard lock(mutex_);
    return parses_;
}

}  // namespace ringpost::dkim
