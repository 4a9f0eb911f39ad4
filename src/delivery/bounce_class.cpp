// Bounce class names and the RFC 3463 fallback (see bounce_class.hpp).
#include "delivery/bounce_class.hpp"

#include <array>

namespace ringpost::delivery {
namespace {

constexpr std::array<std::string_view, kBounceClassCount> kNames = {
    "invalid-recipient", "bad-domain", "inactive-mailbox", "mailbox-full", "message-too-large",
    "policy",            "content-rejected", "greylisted", "rate-limited", "security",
    "routing",           "protocol",   "expired",          "other",
};

// One row of the fallback: subject.detail of "class.subject.detail";
// detail -1 stands for any detail. The first row that fits wins, so
// specific details come before their subject's catch-all.
struct StatusRow {
    int subject;
    int detail;
    BounceClass klass;
};

constexpr StatusRow kByStatus[] = {
    // X.1: addressing
    {1, 2, BounceClass::kBadDomain},          // bad destination system address
    {1, 10, BounceClass::kBadDomain},         // null MX (RFC 7505)
    {1, 6, BounceClass::kInactiveMailbox},    // mailbox has moved, no forwarding address
    {1, 7, BounceClass::kPolicy},             // bad sender's mailbox address syntax
    {1, 8, BounceClass::kPolicy},             // bad sender's system address
    {1, -1, BounceClass::kInvalidRecipient},  // bad mailbox, syntax, ambiguous ...
    // X.2: mailbox status
    {2, 1, BounceClass::kInactiveMailbox},    // mailbox disabled
    {2, 2, BounceClass::kMailboxFull},
    {2, 3, BounceClass::kMessageTooLarge},    // message length exceeds administrative limit
    // X.3: mail system status
    {3, 1, BounceClass::kMailboxFull},        // mail system full
    {3, 4, BounceClass::kMessageTooLarge},    // message too big for system
    // X.4: network and routing
    {4, 7, BounceClass::kExpired},            // delivery time expired
    {4, -1, BounceClass::kRouting},
    // X.5: mail delivery protocol
    {5, 3, BounceClass::kRateLimited},        // too many recipients
    {5, -1, BounceClass::kProtocol},
    // X.6: message content or media
    {6, -1, BounceClass::kContentRejected},
    // X.7: security or policy
    {7, 4, BounceClass::kSecurity},           // security features not supported
    {7, 5, BounceClass::kSecurity},           // cryptographic failure
    {7, 8, BounceClass::kSecurity},           // authentication credentials invalid (RFC 4954)
    {7, 9, BounceClass::kSecurity},           // authentication mechanism too weak
    {7, 10, BounceClass::kSecurity},          // encryption needed
    {7, 11, BounceClass::kSecurity},          // encryption required for the mechanism
    {7, 12, BounceClass::kSecurity},          // a password transition is needed
    {7, 13, BounceClass::kInactiveMailbox},   // user account disabled
    {7, 28, BounceClass::kRateLimited},       // mail flood detected (Gmail's rate limit)
    {7, -1, BounceClass::kPolicy},
};

// "12" -> 12; -1 if not 1-3 digits.
int number(std::string_view s) {
    if (s.empty() || s.size() > 3) return -1;
    int n = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return -1;
        n = n * 10 + (c - '0');
    }
    return n;
}

}  // namespace

std::string_view bounce_class_name(BounceClass c) {
    const auto i = static_cast<size_t>(c);
    return i < kNames.size() ? kNames[i] : kNames.back();
}

std::optional<BounceClass> parse_bounce_class(std::string_view name) {
    for (size_t i = 0; i < kNames.size(); ++i) {
        if (kNames[i] == name) return static_cast<BounceClass>(i);
    }
    return std::nullopt;
}

std::string bounce_class_list() {
    std::string s;
    for (std::string_view n : kNames) {
        if (!s.empty()) s += ", ";
        s += n;
    }
    return s;
}

BounceClass class_of_status(std::string_view enhanced) {
    const size_t dot1 = enhanced.find('.');
    const size_t dot2 = dot1 == std::string_view::npos ? dot1 : enhanced.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos) return BounceClass::kOther;
    const int klass = number(enhanced.substr(0, dot1));
    const int subject = number(enhanced.substr(dot1 + 1, dot2 - dot1 - 1));
    const int detail = number(enhanced.substr(dot2 + 1));
    if ((klass != 4 && klass != 5) || subject < 0 || detail < 0) return BounceClass::kOther;
    for (const StatusRow& row : kByStatus) {
        if (row.subject == subject && (row.detail == -1 || row.detail == detail)) return row.klass;
    }
    return BounceClass::kOther;
}

}  // namespace ringpost::delivery
