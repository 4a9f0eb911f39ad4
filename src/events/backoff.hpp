// Retry delays of a sink: the first failure waits `initial`, each further
// one twice as long, up to `max`; a success starts over.
#pragma once

#include <algorithm>
#include <chrono>

namespace ringpost::events {

class Backoff {
public:
    Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
        : initial_(std::max(initial, std::chrono::milliseconds(1))), max_(std::max(max, initial_)) {}

    // The wait before the next try, after a failure.
    std::chrono::milliseconds next() {
        const std::chrono::milliseconds d = current_.count() == 0 ? initial_ : std::min(current_ * 2, max_);
        current_ = d;
        return d;
    }
    void reset() { current_ = std::chrono::milliseconds(0); }

private:
    std::chrono::milliseconds initial_;
    std::chrono::milliseconds max_;
    std::chrono::milliseconds current_{0};
};

}  // namespace ringpost::events
