// Per-command time limit and ring time slices (see command_budget.hpp).
#include "imap/command_budget.hpp"

#include "io/ops.hpp"

namespace ringpost::imap {

CommandBudget::CommandBudget(std::chrono::milliseconds limit, std::chrono::microseconds slice,
                             const CommandClock& clock)
    : clock_(clock), limit_(limit), slice_(slice) {
    start_ = now();
    slice_start_ = start_;
}

std::chrono::steady_clock::time_point CommandBudget::now() const {
    return clock_ ? clock_() : std::chrono::steady_clock::now();
}

io::Task<bool> CommandBudget::checkpoint() {
    if (expired_) co_return false;
    auto t = now();
    if (limit_.count() > 0 && t - start_ > limit_) {
        expired_ = true;
        co_return false;
    }
    if (t - slice_start_ < slice_) co_return true;
    // Outside a ring (nothing to yield to) the work simply goes on.
    if (io::Ring::current()) {
        auto pause = io::sleep_for(io::Duration{0});
        co_await pause;
    }
    slice_start_ = now();
    co_return true;
}

}  // namespace ringpost::imap
