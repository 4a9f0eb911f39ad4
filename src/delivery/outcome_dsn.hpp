// The notification side of outcome planning (outcome.hpp): turning a
// recipient's result into a DsnRecipient, and a built DSN into the
// store::AcceptRequest that spools it. Internal to src/delivery.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/dsn.hpp"
#include "delivery/outcome.hpp"
#include "mail/envelope.hpp"
#include "store/commit_stage.hpp"

namespace ringpost::delivery::outcome_dsn {

// A leading RFC 3463 status code ("5.0.0 bounced" -> "5.0.0"), and the text
// after it (blanks trimmed); {"", whole} when there is none.
struct SplitStatus {
    std::string status;
    std::string text;
};
SplitStatus split_status(std::string_view reply);

// A recipient of a report from this attempt's diagnostic: the enhanced code
// as Status, the server's reply ("550 5.1.1 text") when it answered, the
// local reason otherwise.
DsnRecipient from_diagnostic(const mail::Recipient& rcpt, DsnAction action, const Diagnostic& diagnostic,
                             std::string_view remote_mta, int64_t last_attempt);

// A recipient of a report from a stored last_reply only (a recipient not
// attempted in this round): "451 4.7.1 text" is a server reply, "4.4.2 text"
// a local one.
DsnRecipient from_last_reply(const mail::Recipient& rcpt, DsnAction action, int64_t last_attempt);

// The notification about `recipients` (non-empty) of the message `original`,
// ready to be spooled: from the null sender to original.sender.
std::unique_ptr<store::AcceptRequest> make_notification(const mail::Envelope& original,
                                                        std::vector<DsnRecipient> recipients,
                                                        std::string_view body, int64_t now,
                                                        const OutcomePolicy& policy);

}  // namespace ringpost::delivery::outcome_dsn
