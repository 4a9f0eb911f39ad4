#include "delivery/site.hpp"

#include <algorithm>
#include <ctime>

#include "io/ring.hpp"
#include "util/log.hpp"

namespace ringpost::delivery {

bool Site::Acquire::await_ready() {
    if (site.closed_) return true;   // granted stays false
    if (site.connections_ < site.connection_limit()) {
        ++site.connections_;
        waiter.granted = true;
        return true;
    }
    return false;
}

void Site::Acquire::await_suspend(std::coroutine_handle<> h) {
    waiter.handle = h;
    site.waiters_.push_back(&waiter);
}

uint32_t Site::connection_limit() const {
    // A pace slower than one message per idle time keeps at most one
    // connection busy: a second one would only open, wait and QUIT.
    const Rate& rate = throttled_until_ != 0 ? throttled_ : limits_.max_message_rate;
    if (!rate.unlimited() && rate.interval() > limits_.idle_timeout) return 1;
    return limits_.max_connections == 0 ? UINT32_MAX : limits_.max_connections;
}

void Site::release_connection() {
    if (!waiters_.empty() && !closed_) {
        // The slot passes straight to the next waiter, resumed from the
        // ring's ready queue (not inside the releasing coroutine).
        Waiter* w = waiters_.front();
        waiters_.pop_front();
        w->granted = true;
        io::Ring::current()->schedule(w->handle);
        return;
    }
    --connections_;
}

io::Task<bool> Site::sleep(Pacer::Clock::duration d) {
    if (closed_) co_return false;
    io::CancelSlot slot;
    sleepers_.push_back(&slot);
    // Rounded up: waking a little early would only make the pacer say "wait" again.
    io::SleepOp pause(std::chrono::ceil<io::Duration>(d));
    pause.slot = &slot;
    co_await pause;
    std::erase(sleepers_, &slot);
    co_return !slot.cancelled;
}

io::Task<bool> Site::pace(Pacer& pacer) {
    for (;;) {
        const auto wait = pacer.take(Pacer::Clock::now());
        if (wait == Pacer::Clock::duration::zero()) co_return true;
        auto sleeping = sleep(wait);
        if (!co_await std::move(sleeping)) co_return false;
    }
}

bool Site::try_pace_connection() { return connects_.take(Pacer::Clock::now()) == Pacer::Clock::duration::zero(); }
bool Site::try_pace_message() {
    message_rate();   // ends a throttle that has run out
    return messages_.take(Pacer::Clock::now()) == Pacer::Clock::duration::zero();
}

io::Task<bool> Site::pace_connection() { return pace(connects_); }
io::Task<bool> Site::pace_message() {
    message_rate();   // ends a throttle that has run out
    return pace(messages_);
}

void Site::throttle(Rate rate, int64_t until) {
    throttled_ = rate;
    throttled_until_ = until;
    messages_.set_rate(rate);
}

Rate Site::message_rate() {
    if (throttled_until_ == 0) return limits_.max_message_rate;
    if (static_cast<int64_t>(std::time(nullptr)) < throttled_until_) return throttled_;
    throttled_until_ = 0;
    messages_.set_rate(limits_.max_message_rate);
    log::info("throttle_ended", {{"site", key_}, {"max_message_rate", limits_.max_message_rate.unlimited()
                                                                          ? std::string("-")
                                                                          : rate_to_string(limits_.max_message_rate)}});
    return limits_.max_message_rate;
}

void Site::shut_down() {
    closed_ = true;
    std::deque<Waiter*> waiting;
    waiting.swap(waiters_);
    for (Waiter* w : waiting) io::Ring::current()->schedule(w->handle);   // granted stays false
    std::vector<io::CancelSlot*> sleeping = sleepers_;
    for (io::CancelSlot* s : sleeping) s->cancel();
}

bool Site::unused() const {
    const auto now = Pacer::Clock::now();
    return destinations_ == 0 && connections_ == 0 && waiters_.empty() && sleepers_.empty() && throttled_until_ == 0 &&
           messages_.wait(now) == Pacer::Clock::duration::zero() && connects_.wait(now) == Pacer::Clock::duration::zero();
}

}  // namespace ringpost::delivery
