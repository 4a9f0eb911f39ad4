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

// The class of a recipient's last reply, as the log and `queue list` show it.
std::string bounce_class_of(const OutcomePolicy& policy, const mail::Recipient& rcpt) {
    return std::string(bounce_class_name(policy.bounce_classifier->classify(rcpt.last_reply)));
}

// A plan that starts from the envelope as loaded.
PlannedOutcome start_plan(const mail::Envelope& before, std::shared_ptr<const std::string> body) {
    PlannedOutcome out;
    out.request = std::make_unique<store::OutcomeRequest>();
    out.request->envelope = before;
    out.request->body = std::move(body);
    return out;
}

// What this round did to each recipient, by index: the result applied
// (the first one for its index), whether the store delivers it locally,
// whether it expired now.
struct Round {
    explicit Round(size_t n) : applied(n, nullptr), local(n, false), expired_now(n, false), held_until(n, 0) {}
    std::vector<const RecipientResult*> applied;
    std::vector<bool> local;
    std::vector<bool> expired_now;
    std::vector<int64_t> held_until;   // not attempted: suspended until then
};

// Each result onto its recipient: attempts, last reply, new state, counts.
void apply_results(PlannedOutcome& out, const std::vector<RecipientResult>& results, Round& round) {
    store::OutcomeRequest& request = *out.request;
    mail::Envelope& env = request.envelope;
    const size_t n = env.recipients.size();
    for (const RecipientResult& result : results) {
        const size_t i = result.index;
        // Out of range, a second result for the same recipient, or one that
        // is no longer pending (delivered or failed before): not ours to change.
        if (i >= n || round.applied[i] != nullptr || !is_pending(env.recipients[i].state)) continue;
        mail::Recipient& rcpt = env.recipients[i];
        round.applied[i] = &result;
        if (result.held_until != 0) {
            // Suspended: no attempt was made; it stays pending, with the
            // suspension as its last reply, until the suspension ends.
            round.held_until[i] = result.held_until;
            rcpt.last_reply = result.diagnostic.to_string();
            rcpt.state = RcptState::kDeferred;
            ++out.deferred;
            continue;
        }
        rcpt.attempts += 1;
        rcpt.last_reply = result.diagnostic.to_string();
        if (result.tls) rcpt.last_reply += tls_note(*result.tls);
        switch (result.diagnostic.outcome) {
            case Outcome::kDelivered:
                if (result.local_delivery) {
                    // The outcome write puts it into the mailbox and marks it delivered.
                    request.local_deliveries.push_back(i);
                    round.local[i] = true;
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
}

// Expiry: a recipient deferred in this round after max_queue_lifetime
// fails, with 4.4.7 and the last error (like Postfix).
void expire_deferred(PlannedOutcome& out, const mail::Envelope& before, int64_t now, const OutcomePolicy& policy,
                     Round& round) {
    if (out.deferred == 0 || !expired(before.received_at, now, policy.max_queue_lifetime)) return;
    mail::Envelope& env = out.request->envelope;
    for (size_t i = 0; i < env.recipients.size(); ++i) {
        mail::Recipient& rcpt = env.recipients[i];
        if (round.applied[i] == nullptr || round.local[i] || rcpt.state != RcptState::kDeferred) continue;
        rcpt.state = RcptState::kFailed;
        rcpt.last_reply =
            std::string(kExpiredStatus) + " " + std::string(kExpiredReason) + "; last error: " + rcpt.last_reply;
        round.expired_now[i] = true;
        --out.deferred;
        ++out.failed;
    }
}

// The attempt time, and the next one if anything is still pending.
// Recipients held by a suspension are due when it ends, the others by the
// retry schedule; the message at the earlier of the two. A round that only
// held recipients was no attempt (last_attempt stays).
void schedule_next_attempt(mail::Envelope& env, int64_t now, const OutcomePolicy& policy, const Round& round) {
    bool attempt = false, retry_pending = false;
    uint32_t max_attempts = 0;
    int64_t held = 0;
    for (size_t i = 0; i < env.recipients.size(); ++i) {
        if (round.applied[i] != nullptr && round.held_until[i] == 0) attempt = true;
        if (round.local[i] || !is_pending(env.recipients[i].state)) continue;
        if (round.held_until[i] != 0) {
            held = held == 0 ? round.held_until[i] : std::min(held, round.held_until[i]);
        } else {
            retry_pending = true;
            max_attempts = std::max(max_attempts, env.recipients[i].attempts);
        }
    }
    if (attempt || held == 0) env.last_attempt = now;
    int64_t next = held;
    if (retry_pending) {
        const int64_t retry =
            policy.retry.next_attempt(max_attempts, now, policy.jitter ? policy.jitter : default_jitter_source());
        next = next == 0 ? retry : std::min(next, retry);
    }
    if (next != 0) env.next_attempt = next;
}

// "failed": everything that failed in this call, expired ones included.
void notify_failed(PlannedOutcome& out, const mail::Envelope& before, const Round& round, int64_t now,
                   const OutcomePolicy& policy) {
    const mail::Envelope& env = out.request->envelope;
    std::vector<DsnRecipient> failed;
    for (size_t i = 0; i < env.recipients.size(); ++i) {
        if (round.applied[i] == nullptr || env.recipients[i].state != RcptState::kFailed) continue;
        const mail::Recipient& rcpt = env.recipients[i];
        if (!should_send_dsn(before, rcpt, DsnAction::kFailed)) continue;
        const RecipientResult& result = *round.applied[i];
        DsnRecipient r =
            outcome_dsn::from_diagnostic(rcpt, DsnAction::kFailed, result.diagnostic, result.remote_mta, now);
        if (round.expired_now[i]) {
            r.status = std::string(kExpiredStatus);
            // The server's last reply stays the Diagnostic-Code; a local last
            // error goes into the explanation.
            r.reason = r.remote_reply.empty()
                           ? std::string(kExpiredReason) + "; last error: " + result.diagnostic.to_string()
                           : std::string(kExpiredReason);
        }
        r.bounce_class = bounce_class_of(policy, rcpt);
        failed.push_back(std::move(r));
    }
    add_notification(out, before, std::move(failed), body_view(out.request->body), now, policy);
}

// "delayed": once per message, when it has waited delay_warning and
// something is still deferred.
void notify_delayed(PlannedOutcome& out, const mail::Envelope& before, const Round& round, int64_t now,
                    const OutcomePolicy& policy) {
    mail::Envelope& env = out.request->envelope;
    const size_t n = env.recipients.size();
    const bool any_deferred = [&] {
        for (size_t i = 0; i < n; ++i) {
            if (!round.local[i] && env.recipients[i].state == RcptState::kDeferred) return true;
        }
        return false;
    }();
    if (policy.delay_warning.count() <= 0 || before.delay_warned || !any_deferred ||
        now - before.received_at < policy.delay_warning.count())
        return;
    env.delay_warned = true;   // considered once, even if no recipient wants it
    const int64_t until = retry_until(before.received_at, policy.max_queue_lifetime);
    std::vector<DsnRecipient> delayed;
    for (size_t i = 0; i < n; ++i) {
        const mail::Recipient& rcpt = env.recipients[i];
        if (round.local[i] || rcpt.state != RcptState::kDeferred) continue;
        if (!should_send_dsn(before, rcpt, DsnAction::kDelayed)) continue;
        DsnRecipient r = round.applied[i] != nullptr
                             ? outcome_dsn::from_diagnostic(rcpt, DsnAction::kDelayed, round.applied[i]->diagnostic,
                                                            round.applied[i]->remote_mta, now)
                             : outcome_dsn::from_last_reply(rcpt, DsnAction::kDelayed, before.last_attempt);
        r.will_retry_until = until;
        r.bounce_class = bounce_class_of(policy, rcpt);
        delayed.push_back(std::move(r));
    }
    add_notification(out, before, std::move(delayed), body_view(out.request->body), now, policy);
}

// Success reports: mailbox deliveries ("delivered") and relays to a
// server without the DSN extension ("relayed"); a server that took the
// DSN parameters reports on its own.
void notify_succeeded(PlannedOutcome& out, const mail::Envelope& before, const Round& round, int64_t now,
                      const OutcomePolicy& policy) {
    const mail::Envelope& env = out.request->envelope;
    std::vector<DsnRecipient> succeeded;
    for (size_t i = 0; i < env.recipients.size(); ++i) {
        if (round.applied[i] == nullptr || round.applied[i]->diagnostic.outcome != Outcome::kDelivered) continue;
        const RecipientResult& result = *round.applied[i];
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
    add_notification(out, before, std::move(succeeded), body_view(out.request->body), now, policy);
}

}  // namespace

PlannedOutcome plan_outcome(const mail::Envelope& before, std::shared_ptr<const std::string> body,
                            const std::vector<RecipientResult>& results, int64_t now, const OutcomePolicy& policy) {
    PlannedOutcome out = start_plan(before, std::move(body));
    Round round(before.recipients.size());
    apply_results(out, results, round);
    expire_deferred(out, before, now, policy, round);
    schedule_next_attempt(out.request->envelope, now, policy, round);
    notify_failed(out, before, round, now, policy);
    notify_delayed(out, before, round, now, policy);
    notify_succeeded(out, before, round, now, policy);
    return out;
}

PlannedOutcome plan_bounce(const mail::Envelope& before, std::shared_ptr<const std::string> body,
                           std::string_view reason, int64_t now, const OutcomePolicy& policy,
                           const std::function<bool(const mail::Recipient&)>& which) {
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
        if (!is_pending(rcpt.state) || (which && !which(rcpt))) continue;
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
        r.bounce_class = bounce_class_of(policy, rcpt);
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
