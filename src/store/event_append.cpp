// Events that enter a commit batch on their own (EventRequest) and the
// "received" events of an accept (event_log_state.hpp).
#include "store/batch_builder.hpp"
#include "store/event_log_state.hpp"

namespace ringpost::store {

Result<void> BatchBuilder::apply(EventRequest& request) {
    // Made while the log was on (the submitter asked enabled()); nothing to
    // check, and appending cannot fail.
    for (auto& event : request.events) append_event(txn_, std::move(event));
    return {};
}

namespace {

// An event about a spooled message.
Event message_event(const char* type, const mail::Envelope& env) {
    Event e;
    e.type = type;
    e.queue_id = env.queue_id;
    e.sender = env.sender;
    e.pool = env.pool;
    e.size = env.body_size;
    return e;
}

// An event about one recipient of a spooled message.
Event recipient_event(const char* type, const mail::Envelope& env, const mail::Recipient& rcpt) {
    Event e = message_event(type, env);
    e.recipient = rcpt.address;
    return e;
}

}  // namespace

void append_hold_event(WriteTxn& txn, const char* type, const mail::Envelope& env) {
    Event e = message_event(type, env);
    e.reason = env.hold_reason;
    e.milter = env.hold_milter;
    append_event(txn, std::move(e));
}

void append_deleted_events(WriteTxn& txn, const mail::Envelope& env) {
    for (const auto& rcpt : env.recipients) {
        if (rcpt.state != mail::RcptState::kQueued && rcpt.state != mail::RcptState::kDeferred) continue;
        Event e = recipient_event("deleted", env, rcpt);
        e.attempt = rcpt.attempts;
        e.response = "deleted by the administrator";
        append_event(txn, std::move(e));
    }
}

void append_received_events(WriteTxn& txn, const mail::Envelope& env) {
    for (const auto& rcpt : env.recipients) {
        Event e = recipient_event("received", env, rcpt);
        e.client = env.client_ip;
        append_event(txn, std::move(e));
    }
}

}  // namespace ringpost::store
