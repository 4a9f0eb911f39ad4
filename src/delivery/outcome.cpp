// plan_outcome / plan_bounce / count_received_headers (see outcome.hpp); the
// notifications themselves are built by outcome_dsn.cpp.
#include "delivery/outcome.hpp"

#include <algorithm>
#include <utility>

#include "delivery/dsn.hpp"
#include "delivery/outcome_dsn.hpp"

namespace ringpost::delivery {

namespace {

using mail::RcptState;

// Queued or deferred: still to be delivered.
bool is_pending(RcptState state) { return state == RcptState::kQueued || state == RcptState::kDeferred; }

std::string_view body_view(const std::shared_ptr<const std::string>& body) {
    return body ? std::string_view(*body) : std::string_view();
}

constexpr std::string_view kExpiredStatus = "4.4.7";
constexpr std::string_view kExpiredReason = "delivery time expired";
constexpr std::string_view kDefaultBounceReason = "5.0.0 bounced by the administrator";

void add_notification(PlannedOutcome& out, const mail::Envelope& original, std::vector<DsnRecipient> recipients,
                      std::string_view body, int64_t now, const OutcomePolicy& policy) {
    if (recipients.empty()) return;
    out.request->notifications.push_back(
        outcome_dsn::make_notification(original, std::move(recipients), body, now, policy));
    ++out.notifications;
}

// A plan that starts from the envelope as loaded.
PlannedOutcome start_plan(const mail::Envelope& before, std::shared_ptr<const std::string> body) {
    PlannedOutcome out;
    out.request = std::make_unique<store::OutcomeRequest>();
    out.request->envelope = before;
    out.request->body = std::move(body);
    return out;
}

}  // namespace

PlannedOutcome plan_outcome(const mail::Envelope& before, std::shared_ptr<const std::string> body,
                            const std::vector<RecipientResult>& results, int64_t now, const OutcomePolicy& policy) {
    PlannedOutcome out = start_plan(before, std::move(body));
    store::OutcomeRequest& request = *out.request;
    mail::Envelope& env = request.envelope;
    const size_t n = env.recipients.size();

    // Per recipient: the result applied in this call (the first one for its
    // index), whether the store delivers it locally, whether it expired.
    std::vector<const RecipientResult*> applied(n, nullptr);
    std::vector<bool> local(n, false);
    std::vector<bool> expired_now(n, false);

    for (const RecipientResult& result : results) {
        const size_t i = result.index;
        // Out of range, a second result for the same recipient, or one that
        // is no longer pending (delivered or failed before): not ours to change.
        if (i >= n || applied[i] != nullptr || !is_pending(env.recipients[i].state)) continue;
        mail::Recipient& rcpt = env.recipients[i];
        applied[i] = &result;
        rcpt.attempts += 1;
        rcpt.last_reply = result.diagnostic.to_string();
        if (result.tls) rcpt.last_reply += tls_note(*result.tls);
        switch (result.diagnostic.outcome) {
            case Outcome::kDelivered:
                if (result.local_delivery) {
                    // The outcome write puts it into the mailbox and marks it delivered.
                    request.local_deliveries.push_back(i);
                    local[i] = true;
                } else {
                    rcpt.state = RcptState::kDelivered;
                }
                ++out.delivered;
                break;
            case Outcome::kDeferred:
                rcpt.state = RcptState::kDeferred;
                ++out.deferred;
                break;
            case Outcome::kFailed:
                rcpt.state = RcptState::kFailed;
                ++out.failed;
                break;
        }
    }

    // Expiry: a recipient deferred in this round after max_queue_lifetime
    // fails, with 4.4.7 and the last error (like Postfix).
    if (out.deferred > 0 && expired(before.received_at, now, policy.max_queue_lifetime)) {
        for (size_t i = 0; i < n; ++i) {
            mail::Recipient& rcpt = env.recipients[i];
            if (applied[i] == nullptr || local[i] || rcpt.state != RcptState::kDeferred) continue;
            rcpt.state = RcptState::kFailed;
            rcpt.last_reply = std::string(kExpiredStatus) + " " + std::string(kExpiredReason) +
                              "; last error: " + rcpt.last_reply;
            expired_now[i] = true;
            --out.deferred;
            ++out.failed;
        }
    }

    env.last_attempt = now;
    bool any_pending = false;
    uint32_t max_attempts = 0;
    for (size_t i = 0; i < n; ++i) {
        if (local[i] || !is_pending(env.recipients[i].state)) continue;
        any_pending = true;
        max_attempts = std::max(max_attempts, env.recipients[i].attempts);
    }
    if (any_pending) {
        env.next_attempt =
            policy.retry.next_attempt(max_attempts, now, policy.jitter ? policy.jitter : default_jitter_source());
    }

    const std::string_view original = body_view(request.body);

    // "failed": everything that failed in this call, expired ones included.
    std::vector<DsnRecipient> failed;
    for (size_t i = 0; i < n; ++i) {
        if (applied[i] == nullptr || env.recipients[i].state != RcptState::kFailed) continue;
        const mail::Recipient& rcpt = env.recipients[i];
        if (!should_send_dsn(before, rcpt, DsnAction::kFailed)) continue;
        DsnRecipient r = outcome_dsn::from_diagnostic(rcpt, DsnAction::kFailed, applied[i]->diagnostic,
                                                      applied[i]->remote_mta, now);
        if (expired_now[i]) {
            r.status = std::string(kExpiredStatus);
            // The server's last reply stays the Diagnostic-Code; a local last
            // error goes into the explanation.
            r.reason = r.remote_reply.empty()
                           ? std::string(kExpiredReason) + "; last error: " + applied[i]->diagnostic.to_string()
                           : std::string(kExpiredReason);
        }
        failed.push_back(std::move(r));
    }
    add_notification(out, before, std::move(failed), original, now, policy);

    // "delayed": once per message, when it has waited delay_warning and
    // something is still deferred.
    const bool any_deferred = [&] {
        for (size_t i = 0; i < n; ++i) {
            if (!local[i] && env.recipients[i].state == RcptState::kDeferred) return true;
        }
        return false;
    }();
    if (policy.delay_warning.count() > 0 && !before.delay_warned && any_deferred &&
        now - before.received_at >= policy.delay_warning.count()) {
        env.delay_warned = true;   // considered once, even if no recipient wants it
        const int64_t until = retry_until(before.received_at, policy.max_queue_lifetime);
        std::vector<DsnRecipient> delayed;
        for (size_t i = 0; i < n; ++i) {
            const mail::Recipient& rcpt = env.recipients[i];
            if (local[i] || rcpt.state != RcptState::kDeferred) continue;
            if (!should_send_dsn(before, rcpt, DsnAction::kDelayed)) continue;
            DsnRecipient r = applied[i] != nullptr
                                 ? outcome_dsn::from_diagnostic(rcpt, DsnAction::kDelayed, applied[i]->diagnostic,
                                                                applied[i]->remote_mta, now)
                                 : outcome_dsn::from_last_reply(rcpt, DsnAction::kDelayed, before.last_attempt);
            r.will_retry_until = until;
            delayed.push_back(std::move(r));
        }
        add_notification(out, before, std::move(delayed), original, now, policy);
    }

    // Success reports: mailbox deliveries ("delivered") and relays to a
    // server without the DSN extension ("relayed"); a server that took the
    // DSN parameters reports on its own.
    std::vector<DsnRecipient> succeeded;
    for (size_t i = 0; i < n; ++i) {
        if (applied[i] == nullptr || applied[i]->diagnostic.outcome != Outcome::kDelivered) continue;
        const RecipientResult& result = *applied[i];
        DsnAction action;
        if (result.local_delivery) {
            action = DsnAction::kDelivered;
        } else if (result.relayed_without_dsn) {
            action = DsnAction::kRelayed;
        } else {
            continue;
        }
        const mail::Recipient& rcpt = env.recipients[i];
        if (!should_send_dsn(before, rcpt, action)) continue;
        succeeded.push_back(outcome_dsn::from_diagnostic(rcpt, action, result.diagnostic, result.remote_mta, now));
    }
    add_notification(out, before, std::move(succeeded), original, now, policy);

    return out;
}

PlannedOutcome plan_bounce(const mail::Envelope& before, std::shared_ptr<const std::string> body,
                           std::string_view reason, int64_t now, const OutcomePolicy& policy) {
    PlannedOutcome out = start_plan(before, std::move(body));
    store::OutcomeRequest& request = *out.request;
    mail::Envelope& env = request.envelope;

    outcome_dsn::SplitStatus split = outcome_dsn::split_status(reason);
    std::string last_reply(reason);
    if (split.status.empty() && split.text.empty()) {
        split = outcome_dsn::split_status(kDefaultBounceReason);
        last_reply = std::string(kDefaultBounceReason);
    }

    std::vector<DsnRecipient> failed;
    for (mail::Recipient& rcpt : env.recipients) {
        if (!is_pending(rcpt.state)) continue;
        rcpt.state = RcptState::kFailed;
        rcpt.last_reply = last_reply;
        ++out.failed;
        if (!should_send_dsn(before, rcpt, DsnAction::kFailed)) continue;
        DsnRecipient r;
        r.address = rcpt.address;
        r.orcpt = rcpt.orcpt;
        r.action = DsnAction::kFailed;
        r.status = split.status;   // empty: 5.0.0
        r.reason = split.text;
        r.last_attempt = before.last_attempt;   // no attempt now; 0 = none yet
        failed.push_back(std::move(r));
    }
    add_notification(out, before, std::move(failed), body_view(request.body), now, policy);
    return out;
}

size_t count_received_headers(std::string_view message) {
    static constexpr std::string_view kName = "received:";
    size_t count = 0;
    size_t pos = 0;
    while (pos < message.size()) {
        size_t end = message.find('\n', pos);
        if (end == std::string_view::npos) end = message.size();
        std::string_view line = message.substr(pos, end - pos);
        pos = end + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break;   // end of the header block
        // Continuation lines start with a blank and never match.
        if (line.size() >= kName.size() &&
            std::equal(kName.begin(), kName.end(), line.begin(), [](char a, char b) {
                return a == (b >= 'A' && b <= 'Z' ? static_cast<char>(b - 'A' + 'a') : b);
            })) {
            ++count;
        }
    }
    return count;
}

}  // namespace ringpost::delivery
