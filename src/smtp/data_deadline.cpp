#include "smtp/data_deadline.hpp"

#include <algorithm>

namespace ringpost::smtp {

void DataDeadline::received(Clock::time_point now, size_t n) {
    const Clock::time_point cap = now + limit_;
    if (min_rate_ == 0) {
        deadline_ = cap;
        return;
    }
    // n / min_rate seconds, in microseconds without overflow for any n a
    // read can return.
    const auto earned = std::chrono::microseconds(static_cast<int64_t>(n) * 1000000 / min_rate_);
    deadline_ = std::min(cap, deadline_ + earned);
}

std::chrono::milliseconds DataDeadline::remaining(Clock::time_point now) const {
    if (deadline_ <= now) return std::chrono::milliseconds(0);
    return std::chrono::ceil<std::chrono::milliseconds>(deadline_ - now);
}

}  // namespace ringpost::smtp
