// Spooling one message in a commit batch: an AcceptRequest from an SMTP
// session, or a notification (DSN) of an OutcomeRequest.
//
// Accepting only spools: the body once (bodies CF, body_refs = 1), the
// envelope and its schedule entry (at next_attempt, = received_at when 0),
// whether the recipients are local or remote. Nothing is delivered here;
// the delivery engine loads the message when it is due and writes local
// deliveries into the INBOX with the outcome (outcome.cpp), so local and
// remote recipients share one path for states, retries and DSNs.
//
// A message a milter quarantined (envelope.held) is spooled the same way
// but without a schedule entry -- Postfix's hold queue -- so the engine
// never loads it until `queue release` gives it one; its "held" event is
// in this batch, with the 250.
#include "store/batch_builder.hpp"
#include "store/event_log_state.hpp"
#include "store/keys.hpp"

namespace ringpost::store {

Result<void> BatchBuilder::check_accept(const AcceptRequest& request, const IdSet& claimed) {
    const mail::Envelope& env = request.envelope;
    const std::string& qid = env.queue_id;
    if (!is_valid_queue_id(qid)) return make_error("invalid queue id '" + qid + "'");
    if (env.recipients.empty()) return make_error("message " + qid + " has no recipients");
    // A spooled envelope must have a pending recipient (the schedule index
    // holds exactly those; recover() relies on it).
    if (!mail::has_pending_recipients(env)) return make_error("message " + qid + " has no recipient left to deliver");
    if (accepted_.count(qid) || claimed.count(qid)) return make_error("queue id " + qid + " submitted twice");
    auto existing = txn_.get(StoreImpl::kBodyRefs, qid);
    if (!existing) return existing.error();
    if (existing->has_value()) return make_error("queue id " + qid + " already in the store");
    return {};
}

void BatchBuilder::write_accept(AcceptRequest& request, bool received) {
    mail::Envelope& env = request.envelope;
    const std::string& qid = env.queue_id;
    env.body_size = request.data.size();
    if (env.next_attempt == 0) env.next_attempt = env.received_at;  // due at once
    txn_.put(StoreImpl::kBodies, qid, request.data);
    txn_.put(StoreImpl::kBodyRefs, qid, encode_refcount(1));  // the envelope's reference
    txn_.put(StoreImpl::kEnvelopes, qid, encode_envelope(env));
    if (!env.held) txn_.put(StoreImpl::kSchedule, keys::schedule_key(env.next_attempt, qid), "");
    accepted_.insert(qid);
    if (received && txn_.impl().events.options.enabled) {
        append_received_events(txn_, env);
        if (env.held) append_hold_event(txn_, "held", env);
    }
}

Result<void> BatchBuilder::apply(AcceptRequest& request) {
    if (auto checked = check_accept(request, {}); !checked) return checked;
    write_accept(request, true);
    return {};
}

}  // namespace ringpost::store
