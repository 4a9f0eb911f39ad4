#include "delivery/rate.hpp"

#include <algorithm>
#include <charconv>

#include "util/duration.hpp"

namespace ringpost::delivery {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kMaxCount = 1000000000;

struct Unit {
    std::string_view name;
    std::chrono::milliseconds period;
};
constexpr Unit kUnits[] = {{"s", 1s}, {"sec", 1s}, {"second", 1s}, {"m", 1min}, {"min", 1min}, {"minute", 1min},
                           {"h", 1h}, {"hour", 1h}, {"d", 24h}, {"day", 24h}};

Result<std::chrono::milliseconds> period_of(std::string_view text) {
    for (const auto& u : kUnits)
        if (text == u.name) return u.period;
    auto d = util::parse_duration(text);
    if (!d || d->count() == 0) return make_error("expected a period (s, min, h, d or a duration like \"30s\")");
    return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
}

}  // namespace

std::chrono::nanoseconds Rate::interval() const {
    if (count == 0) return std::chrono::nanoseconds::zero();
    return std::chrono::duration_cast<std::chrono::nanoseconds>(period) / count;
}

Result<Rate> parse_rate(std::string_view text) {
    if (text.empty() || text == "unlimited") return Rate{};
    const size_t slash = text.find('/');
    if (slash == std::string_view::npos) return make_error("expected a rate like \"300/min\" or \"20/s\"");
    uint64_t count = 0;
    const std::string_view n = text.substr(0, slash);
    auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), count);
    if (ec != std::errc() || end != n.data() + n.size() || count == 0 || count > kMaxCount)
        return make_error("expected a count from 1 to 1000000000 before the '/'");
    auto period = period_of(text.substr(slash + 1));
    if (!period) return period.error();
    return Rate{count, *period};
}

std::string rate_to_string(const Rate& rate) {
    if (rate.unlimited()) return "";
    for (const auto& u : {Unit{"s", 1s}, Unit{"min", 1min}, Unit{"h", 1h}, Unit{"d", 24h}})
        if (rate.period == u.period) return std::to_string(rate.count) + "/" + std::string(u.name);
    // parse_rate's durations are whole seconds.
    return std::to_string(rate.count) + "/" + std::to_string(rate.period.count() / 1000) + "s";
}

Pacer::Clock::duration Pacer::wait(Clock::time_point now) const {
    if (unlimited() || now + kTolerance >= next_) return Clock::duration::zero();
    return next_ - kTolerance - now;
}

Pacer::Clock::duration Pacer::take(Clock::time_point now) {
    if (unlimited()) return Clock::duration::zero();
    if (now + kTolerance < next_) return next_ - kTolerance - now;
    // An idle stretch earns no credit: the next pass is one interval after
    // this one's theoretical time (or after now, if that is later).
    next_ = std::max(next_, now) + interval_;
    return Clock::duration::zero();
}

void Pacer::set_rate(Rate rate) {
    const Clock::duration before = interval_;
    interval_ = rate.unlimited() ? Clock::duration::zero() : rate.interval();
    // A pass already scheduled moves with the new pace.
    if (before != Clock::duration::zero() && interval_ != Clock::duration::zero())
        next_ = next_ - before + interval_;
}

}  // namespace ringpost::delivery
