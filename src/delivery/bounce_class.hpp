// Bounce classes: a small fixed set of lower-case names that say *why* a
// delivery failed or was deferred ("mailbox-full", "policy", ...), so that
// an operator (and later the metrics) can count and act on causes instead
// of reading thousands of differently worded replies. The names are stable:
// they appear in the delivery log (class=), in DSNs
// (X-Ringpost-Bounce-Class:) and in `ringpost queue list|show`. What each
// class means: docs/DELIVERY.md "Bounce classification".
//
// class_of_status() is the last resort of the classifier
// (bounce_classifier.hpp): the class that an RFC 3463 enhanced status code
// alone implies, when no rule matched the reply.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ringpost::delivery {

enum class BounceClass : uint8_t {
    kInvalidRecipient,   // no such mailbox, bad recipient address
    kBadDomain,          // the recipient's domain does not exist or takes no mail
    kInactiveMailbox,    // the mailbox exists but is disabled, suspended, moved
    kMailboxFull,        // over quota, storage exhausted
    kMessageTooLarge,    // the message exceeds a size limit
    kPolicy,             // refused for who sends: reputation, blocklist, relaying, sender auth (SPF/DKIM/DMARC)
    kContentRejected,    // refused for what is sent: spam content, virus, media type
    kGreylisted,         // "try again later" by greylisting
    kRateLimited,        // too many connections, messages or recipients for now
    kSecurity,           // TLS or authentication required, or failed
    kRouting,            // no answer: DNS, connection refused/timed out, lost connection, loops
    kProtocol,           // the conversation went wrong: syntax, bad replies, unexpected state
    kExpired,            // the message outlived delivery.max_queue_lifetime here, or there (x.4.7)
    kOther,              // none of the above
};

inline constexpr size_t kBounceClassCount = static_cast<size_t>(BounceClass::kOther) + 1;

// "invalid-recipient", "bad-domain", ...
std::string_view bounce_class_name(BounceClass c);
// The class of a name (exact, lower case); nullopt for an unknown one.
std::optional<BounceClass> parse_bounce_class(std::string_view name);
// "invalid-recipient, bad-domain, ..., other": for error messages.
std::string bounce_class_list();

// The class an RFC 3463 enhanced status code implies by its subject and
// detail ("5.1.1" and "4.1.1" -> invalid-recipient, "x.2.2" ->
// mailbox-full, "x.7.x" -> policy but x.7.4/x.7.5/... -> security, "x.4.7"
// -> expired, "x.4.x" -> routing ...); other for x.0.0, a success or
// anything malformed.
BounceClass class_of_status(std::string_view enhanced);

}  // namespace ringpost::delivery
