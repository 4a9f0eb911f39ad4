// RetrySchedule, jitter and expiry (see retry.hpp).
#include "delivery/retry.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <utility>

#include "util/duration.hpp"

namespace ringpost::delivery {

namespace {

constexpr double kJitter = 0.10;   // +-10%

}  // namespace

JitterSource default_jitter_source() {
    return [] {
        // One generator per thread: std::mt19937_64 is not thread-safe, and a
        // lock on the delivery path for a random number would be silly.
        thread_local std::mt19937_64 gen{std::random_device{}()};
        return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
    };
}

RetrySchedule::RetrySchedule()
    : delays_{std::chrono::minutes(5), std::chrono::minutes(10), std::chrono::minutes(20),
              std::chrono::minutes(40), std::chrono::hours(1)} {}

Result<RetrySchedule> RetrySchedule::parse(const std::vector<std::string>& items) {
    if (items.empty()) return make_error("retry schedule: empty (expected e.g. \"5m, 10m, 20m, 40m, 1h\")");
    std::vector<std::chrono::seconds> delays;
    delays.reserve(items.size());
    for (size_t i = 0; i < items.size(); ++i) {
        const std::string where = "retry schedule: item " + std::to_string(i + 1) + ": ";
        auto d = util::parse_duration(items[i]);
        if (!d) return make_error(where + d.error().message);
        // A zero delay would retry in a tight loop against a failing host.
        if (d.value().count() == 0) return make_error(where + "\"" + items[i] + "\": the delay must be positive");
        delays.push_back(d.value());
    }
    return RetrySchedule(std::move(delays));
}

Result<RetrySchedule> RetrySchedule::parse(std::string_view list) {
    // Items are separated by commas and/or blanks. An empty item between two
    // commas (or a trailing comma) is an error rather than something to skip:
    // "5m,,10m" is more likely a typo than an intent.
    std::vector<std::string> items;
    const bool has_comma = list.find(',') != std::string_view::npos;
    const std::string whole(list);
    while (true) {
        const size_t comma = list.find(',');
        const std::string_view piece = list.substr(0, comma);
        size_t words = 0;
        size_t i = 0;
        while (i < piece.size()) {
            while (i < piece.size() && (piece[i] == ' ' || piece[i] == '\t')) ++i;
            const size_t start = i;
            while (i < piece.size() && piece[i] != ' ' && piece[i] != '\t') ++i;
            if (i > start) {
                items.emplace_back(piece.substr(start, i - start));
                ++words;
            }
        }
        if (words == 0 && has_comma) {
            return make_error("retry schedule: empty item between commas in \"" + whole + "\"");
        }
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return parse(items);
}

std::chrono::seconds RetrySchedule::delay(uint32_t attempts) const {
    const size_t index = attempts == 0 ? 0 : attempts - 1;
    return delays_[std::min(index, delays_.size() - 1)];
}

int64_t RetrySchedule::next_attempt(uint32_t attempts, int64_t now, const JitterSource& jitter) const {
    if (attempts == 0) return now;
    const double base = static_cast<double>(delay(attempts).count());
    const double u = std::clamp(jitter ? jitter() : 0.5, 0.0, 1.0);
    const double factor = 1.0 + kJitter * (2.0 * u - 1.0);   // [0.9, 1.1]
    const auto seconds = static_cast<int64_t>(std::llround(base * factor));
    return now + std::max<int64_t>(1, seconds);
}

bool expired(int64_t received_at, int64_t now, std::chrono::seconds max_queue_lifetime) {
    return now - received_at >= max_queue_lifetime.count();
}

int64_t retry_until(int64_t received_at, std::chrono::seconds max_queue_lifetime) {
    return received_at + max_queue_lifetime.count();
}

}  // namespace ringpost::delivery
