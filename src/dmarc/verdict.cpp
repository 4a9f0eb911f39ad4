// Names and the Authentication-Results entry of a Verdict (evaluate.hpp).
#include "dmarc/evaluate.hpp"

namespace ringpost::dmarc {
namespace {

// An RFC 8601 comment may not hold unbalanced parentheses or a backslash:
// anything but plain printable text becomes a space.
std::string comment_text(std::string_view s) {
    std::string out;
    for (char c : s) out += (c < ' ' || c > '~' || c == '(' || c == ')' || c == '\\') ? ' ' : c;
    return out;
}

}  // namespace

std::string_view status_name(Status s) {
    switch (s) {
        case Status::kPass: return "pass";
        case Status::kFail: return "fail";
        case Status::kNone: return "none";
        case Status::kTempError: return "temperror";
        case Status::kPermError: return "permerror";
    }
    return "none";
}

std::string authres_entry(const Verdict& v) {
    std::string out = "dmarc=";
    out += status_name(v.status);
    const bool evaluated = v.status == Status::kPass || v.status == Status::kFail;
    if (evaluated) {
        out += " (p=";
        out += policy_name(v.requested);
        out += " dis=";
        out += policy_name(v.disposition);
        out += ')';
    } else if (v.status == Status::kPermError && !v.reason.empty()) {
        out += " (" + comment_text(v.reason) + ")";
    }
    if (!v.header_from.empty()) out += " header.from=" + v.header_from;
    if (evaluated) {
        out += " policy.dmarc=";
        out += policy_name(v.disposition);
    }
    return out;
}

}  // namespace ringpost::dmarc
