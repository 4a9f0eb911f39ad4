// When a notification is due (RFC 3461 NOTIFY), action names, and the body
// type a built notification needs (see dsn.hpp).
#include "delivery/dsn.hpp"

namespace ringpost::delivery {

std::string_view action_name(DsnAction action) {
    switch (action) {
        case DsnAction::kFailed: return "failed";
        case DsnAction::kDelayed: return "delayed";
        case DsnAction::kDelivered: return "delivered";
        case DsnAction::kRelayed: return "relayed";
        case DsnAction::kExpanded: return "expanded";
    }
    return "failed";
}

bool should_send_dsn(const mail::Envelope& envelope, const mail::Recipient& recipient, DsnAction action) {
    // RFC 3461 / RFC 5321 6.1: notifications go to the reverse-path, and a
    // null reverse-path means "do not notify" -- it is what bounces are sent
    // with, so answering one could loop between two MTAs forever.
    if (envelope.sender.empty()) return false;
    const uint8_t notify = recipient.notify;
    if (notify & mail::kNotifyNever) return false;
    if (notify == 0) {
        // RFC 3461 4.1: without NOTIFY, behave as for NOTIFY=FAILURE or
        // NOTIFY=FAILURE,DELAY; we warn about delays too, as Postfix does.
        return action == DsnAction::kFailed || action == DsnAction::kDelayed;
    }
    switch (action) {
        case DsnAction::kFailed: return (notify & mail::kNotifyFailure) != 0;
        case DsnAction::kDelayed: return (notify & mail::kNotifyDelay) != 0;
        case DsnAction::kDelivered:
        case DsnAction::kRelayed:     // RFC 3461 5.2.2: SUCCESS asked, next hop cannot confirm
        case DsnAction::kExpanded: return (notify & mail::kNotifySuccess) != 0;
    }
    return false;
}

mail::BodyType dsn_body_type(std::string_view dsn) {
    for (char c : dsn) {
        if (static_cast<unsigned char>(c) >= 0x80) return mail::BodyType::k8BitMime;
    }
    return mail::BodyType::k7Bit;
}

}  // namespace ringpost::delivery
