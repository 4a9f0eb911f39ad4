// The errors of io::BlockingPool itself, in their own category ("io.pool"),
// so that a refusal is never mistaken for an error of the work it carried
// (see util/error_category.hpp). kBusy stands for Condition::kOverloaded
// and kStopped for Condition::kShuttingDown: the protocols answer "try
// again later" (IMAP NO [UNAVAILABLE], POP3 -ERR [SYS/TEMP], SMTP 451/421).
#pragma once

#include <system_error>

#include "util/error_category.hpp"

namespace ringpost::io {

enum class PoolErrc {
    kBusy = 1,   // the queue is over max_queued
    kStopped,    // stop() was called
    kThrew,      // the function threw; the message is its what()
    kNoRing,     // awaited outside a ring thread
};

inline constexpr ErrorInfo kPoolErrors[] = {
    {"blocking pool busy", Condition::kOverloaded},
    {"blocking pool stopped", Condition::kShuttingDown},
    {"blocking call threw"},
    {"blocking pool awaited outside a ring thread"},
};
inline const std::error_category& pool_category() noexcept {
    static const TableCategory category("io.pool", kPoolErrors);
    return category;
}
inline std::error_code make_error_code(PoolErrc e) noexcept { return {static_cast<int>(e), pool_category()}; }

}  // namespace ringpost::io

template <>
struct std::is_error_code_enum<ringpost::io::PoolErrc> : std::true_type {};
