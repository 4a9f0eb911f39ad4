// Delivery events of one attempt (outcome_events.hpp).
#include "delivery/outcome_events.hpp"

#include "delivery/tls_policy.hpp"

namespace ringpost::delivery {
namespace {

const char* type_of(const RecipientResult& r, const mail::Recipient& after) {
    if (r.local_delivery) return "delivered";
    switch (after.state) {
        case mail::RcptState::kDelivered: return "delivered";
        // A deferral the queue lifetime turned into a failure (plan_outcome).
        case mail::RcptState::kFailed: return r.diagnostic.outcome == Outcome::kDeferred ? "expired" : "failed";
        case mail::RcptState::kDeferred:
        case mail::RcptState::kQueued: break;
    }
    return "deferred";
}

store::Event message_event(const mail::Envelope& env) {
    store::Event e;
    e.queue_id = env.queue_id;
    e.sender = env.sender;
    e.pool = env.pool;
    e.size = env.body_size;
    return e;
}

void add_dsn_events(const mail::Envelope& before, const store::OutcomeRequest& request,
                    std::vector<store::Event>& out);

}  // namespace

std::string dsn_action(const std::string& dsn) {
    size_t at = dsn.find("\r\nAction: ");
    if (at == std::string::npos) return "unknown";
    at += 10;
    size_t end = dsn.find_first_of("\r\n ;", at);
    return dsn.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

std::vector<store::Event> outcome_events(const mail::Envelope& before, const store::OutcomeRequest& request,
                                         const AttemptInfo& attempt, const BounceClassifier& classifier) {
    std::vector<store::Event> out;
    const auto& rcpts = request.envelope.recipients;
    std::vector<bool> seen(rcpts.size(), false);
    for (const RecipientResult& r : *attempt.results) {
        // The first result of a recipient is the one applied; a held one was no attempt.
        if (r.index >= rcpts.size() || seen[r.index] || r.held_until != 0) continue;
        seen[r.index] = true;
        const mail::Recipient& after = rcpts[r.index];
        const mail::RcptState was = before.recipients[r.index].state;
        if (was != mail::RcptState::kQueued && was != mail::RcptState::kDeferred) continue;
        store::Event e = message_event(before);
        e.type = type_of(r, after);
        e.recipient = after.address;
        if (attempt.relays && r.index < attempt.relays->size()) e.relay = (*attempt.relays)[r.index];
        if (!r.local_delivery) e.source = attempt.source;
        e.code = r.diagnostic.code;
        e.enhanced_code = e.type == "expired" ? std::string("4.4.7") : r.diagnostic.enhanced;
        e.response = r.diagnostic.text;
        const std::string_view reply = strip_tls_note(after.last_reply);
        if (e.type != "delivered") e.bounce_class = bounce_class_name(classifier.classify(reply));
        e.attempt = after.attempts;
        out.push_back(std::move(e));
    }
    add_dsn_events(before, request, out);
    return out;
}

std::vector<store::Event> bounce_events(const mail::Envelope& before, const store::OutcomeRequest& request,
                                        const BounceClassifier& classifier) {
    std::vector<store::Event> out;
    const auto& rcpts = request.envelope.recipients;
    for (size_t i = 0; i < rcpts.size() && i < before.recipients.size(); ++i) {
        const mail::RcptState was = before.recipients[i].state;
        const bool pending = mail::is_pending(was);
        if (!pending || rcpts[i].state != mail::RcptState::kFailed) continue;
        store::Event e = message_event(before);
        e.type = "failed";
        e.recipient = rcpts[i].address;
        // "5.0.0 bounced by the administrator": the status, then the text.
        const std::string& reply = rcpts[i].last_reply;
        const size_t space = reply.find(' ');
        e.enhanced_code = reply.substr(0, space);
        e.response = space == std::string::npos ? std::string() : reply.substr(space + 1);
        e.bounce_class = bounce_class_name(classifier.classify(reply));
        e.attempt = rcpts[i].attempts;
        out.push_back(std::move(e));
    }
    add_dsn_events(before, request, out);
    return out;
}

namespace {

void add_dsn_events(const mail::Envelope& before, const store::OutcomeRequest& request,
                    std::vector<store::Event>& out) {
    for (const auto& note : request.notifications) {
        store::Event e = message_event(before);
        e.type = "dsn";
        if (!note->envelope.recipients.empty()) e.recipient = note->envelope.recipients[0].address;
        e.dsn_queue_id = note->envelope.queue_id;
        e.reason = dsn_action(note->data);
        out.push_back(std::move(e));
    }
}

}  // namespace

}  // namespace ringpost::delivery
