#include "spf/result.hpp"

namespace ringpost::spf {

std::string_view result_name(Result result) {
    switch (result) {
        case Result::kNone: return "none";
        case Result::kNeutral: return "neutral";
        case Result::kPass: return "pass";
        case Result::kFail: return "fail";
        case Result::kSoftFail: return "softfail";
        case Result::kTempError: return "temperror";
        case Result::kPermError: return "permerror";
    }
    return "permerror";
}

}  // namespace ringpost::spf
