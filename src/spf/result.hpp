// The seven results of an SPF check (RFC 7208 2.6) and their names as
// Authentication-Results (RFC 8601 2.7.2) and Received-SPF spell them.
#pragma once

#include <string_view>

namespace ringpost::spf {

enum class Result { kNone, kNeutral, kPass, kFail, kSoftFail, kTempError, kPermError };

// "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror".
std::string_view result_name(Result result);

}  // namespace ringpost::spf
