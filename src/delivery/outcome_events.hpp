// The delivery events of one attempt (store/event.hpp, docs/EVENTS.md),
// which the outcome write appends in its own batch: per recipient
// attempted, "delivered", "deferred", "failed" or "expired" (a deferral
// past the queue lifetime), with the reply, its bounce class and the
// attempt number; per notification the outcome spools, "dsn". An
// operator's bounce makes the same kinds of events (bounce_events). Recipients
// held by a suspension were not attempted and make no event.
#pragma once

#include <string>
#include <vector>

#include "delivery/bounce_classifier.hpp"
#include "delivery/outcome.hpp"
#include "mail/envelope.hpp"
#include "store/commit_stage.hpp"
#include "store/event.hpp"

namespace ringpost::delivery {

struct AttemptInfo {
    const std::vector<RecipientResult>* results = nullptr;
    const std::vector<std::string>* relays = nullptr;   // per recipient, as logged
    std::string source;                                 // the egress source's name
};

// `before`: the envelope as loaded; `request`: the planned outcome.
std::vector<store::Event> outcome_events(const mail::Envelope& before, const store::OutcomeRequest& request,
                                         const AttemptInfo& attempt, const BounceClassifier& classifier);

// The events of an operator's `queue bounce` (plan_bounce): "failed" per
// recipient it failed, with the reason as the response, and "dsn" per
// notification. Not an attempt: no relay, no reply code, attempt unchanged.
std::vector<store::Event> bounce_events(const mail::Envelope& before, const store::OutcomeRequest& request,
                                        const BounceClassifier& classifier);

// "Action: failed" -> "failed": which kind of notification a DSN is.
std::string dsn_action(const std::string& dsn);

}  // namespace ringpost::delivery
