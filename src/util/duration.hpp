// Durations written the way the configuration writes them: "300" (seconds),
// "90s", "5m", "2h", "1d", and sums such as "1h30m". The same format as
// config::parse_duration (src/config), kept here in util so that layers below
// app (delivery's retry schedule) can parse it without depending on app.
#pragma once

#include <chrono>
#include <string_view>

#include "util/result.hpp"

namespace ringpost::util {

// Seconds, or an error naming what is wrong ("unknown unit 'x' in \"5x\"
// (use s, m, h or d)"). Zero ("0", "0s") is accepted: whether zero makes
// sense is the caller's decision. Values above 2^32-1 seconds are rejected,
// as in the configuration.
Result<std::chrono::seconds> parse_duration(std::string_view text);

}  // namespace ringpost::util
