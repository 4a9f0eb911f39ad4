// Turning the results of one delivery attempt of a spooled message into
// what must be written durably (a store::OutcomeRequest): each recipient's
// new state, attempt count and last reply; the next attempt time from the
// retry schedule; expiry (deferred past max_queue_lifetime -> failed); and
// the delivery status notifications that are due (RFC 3461/3464): one
// "failed" DSN for the recipients that failed in this attempt, one "delayed"
// warning once the message has waited delay_warning, one "delivered"/
// "relayed" report for NOTIFY=SUCCESS recipients. Every notification goes to
// the envelope sender from the null reverse-path, so a bounce never bounces.
//
// Pure functions (the clock, the jitter and the queue IDs are inputs), so
// every rule here is unit-tested without sockets or a database. The engine
// (engine.hpp) runs the attempts and submits the result.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/bounce_classifier.hpp"
#include "delivery/retry.hpp"
#include "delivery/smtp_client.hpp"
#include "delivery/tls_policy.hpp"
#include "mail/envelope.hpp"
#include "store/commit_stage.hpp"

namespace ringpost::delivery {

// What happened to one recipient in this attempt.
struct RecipientResult {
    size_t index = 0;            // into envelope.recipients
    Diagnostic diagnostic;       // outcome + reply (or local reason)
    std::string remote_mta;      // MX host name that answered, empty if none / local
    // Delivered into the recipient's local INBOX by the outcome write itself
    // (the local transport): listed in local_deliveries, not marked here.
    bool local_delivery = false;
    // Delivered to a server that did not take the DSN extension: a
    // NOTIFY=SUCCESS recipient then gets a "relayed" report (RFC 3461 6.2.2).
    bool relayed_without_dsn = false;
    // The connection's TLS state when a server was reached (then last_reply
    // gets tls_note()); nullopt for local delivery and when none answered.
    std::optional<TlsState> tls;
    // Not an attempt: the destination is suspended (`queue suspend`,
    // shaping automation) until this time (unix seconds). The recipient
    // stays pending with its attempts unchanged, `diagnostic` becomes its
    // last reply, and the message is due again then. 0 = an attempt.
    int64_t held_until = 0;
};

struct OutcomePolicy {
    RetrySchedule retry;
    std::chrono::seconds max_queue_lifetime = kDefaultMaxQueueLifetime;
    std::chrono::seconds delay_warning{0};   // 0 = no delay warnings
    std::string reporting_mta;               // our host name, for the DSN's Reporting-MTA
    size_t max_returned_size = 50000;        // kDefaultMaxReturnedSize
    JitterSource jitter;                     // null = default_jitter_source()
    // Whether an address is in a local domain (the DSN recipient is then
    // marked local and delivered into its mailbox).
    std::function<bool(std::string_view address)> is_local;
    // New queue IDs for notifications (store::new_queue_id in the product).
    std::function<std::string()> new_queue_id;
    // The class of each failed or delayed recipient's last_reply, for its
    // DSN (X-Ringpost-Bounce-Class); never null.
    std::shared_ptr<const BounceClassifier> bounce_classifier = std::make_shared<const BounceClassifier>();
};

struct PlannedOutcome {
    std::unique_ptr<store::OutcomeRequest> request;   // on_done left empty for the caller
    // Counts for logs and tests.
    size_t delivered = 0, deferred = 0, failed = 0;
    size_t notifications = 0;
};

// `before`: the envelope as loaded; `body`: the stored message; `results`:
// the recipients attempted (pending recipients not listed keep their state
// and are retried with the rest). Recipients get attempts += 1 and
// last_reply = diagnostic.to_string() (+ tls_note() when a server was
// reached, so the queue shows whether TLS was used); deferred ones past the queue lifetime
// become failed ("4.4.7 delivery time expired" + the last reply). When
// recipients remain pending, next_attempt = retry.next_attempt(max attempts
// among them, now); last_attempt = now.
PlannedOutcome plan_outcome(const mail::Envelope& before, std::shared_ptr<const std::string> body,
                            const std::vector<RecipientResult>& results, int64_t now, const OutcomePolicy& policy);

// `ringpost queue bounce`: every pending recipient (or those for which
// `which` is true: `queue bounce --domain`) fails with `reason` (e.g.
// "5.0.0 bounced by the administrator"), with the usual DSN.
PlannedOutcome plan_bounce(const mail::Envelope& before, std::shared_ptr<const std::string> body,
                           std::string_view reason, int64_t now, const OutcomePolicy& policy,
                           const std::function<bool(const mail::Recipient&)>& which = {});

// Loop protection: the number of "Received:" header fields (case-insensitive,
// header block only, folded lines counted once).
size_t count_received_headers(std::string_view message);

// Postfix's hopcount_limit.
inline constexpr size_t kDefaultMaxHops = 100;

}  // namespace ringpost::delivery
