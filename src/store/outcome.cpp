// Writing the outcome of one delivery attempt in a commit batch
// (OutcomeRequest, commit_stage.hpp): local deliveries (INBOX or Junk), the
// envelope's new state and schedule entry (or its removal and the release of
// its body reference), and the notifications, all or nothing.
//
// The stored envelope is the authority on whether the message is still
// queued: the administrator may have deleted or bounced it while the
// attempt ran (kOutcomeGone, nothing written), and `queue flush` may have
// moved its schedule entry, which is why the entry deleted is the one at the
// STORED next_attempt, not at the one the engine loaded. Likewise the
// stored hold: an operator may have held the message while this attempt
// ran; what the attempt leaves pending stays held, with no entry.
#include "store/batch_builder.hpp"
#include "store/event_log_state.hpp"
#include "store/keys.hpp"
#include "util/log.hpp"

namespace ringpost::store {

Result<void> BatchBuilder::apply(OutcomeRequest& request) {
    mail::Envelope& env = request.envelope;
    const std::string& qid = env.queue_id;
    if (!is_valid_queue_id(qid)) return make_error("invalid queue id '" + qid + "'");
    // Two outcomes of one message in one batch would both start from the
    // same stored state; the second would undo the first.
    if (outcomes_.count(qid)) return make_error("outcome for " + qid + " submitted twice in one batch");

    // --- reads and checks: nothing is added to the batch before all pass ---
    auto stored_raw = txn_.get(StoreImpl::kEnvelopes, qid);
    if (!stored_raw) return stored_raw.error();
    if (!stored_raw->has_value()) return make_error("message " + qid + " is no longer queued", kOutcomeGone);
    auto stored = decode_envelope(**stored_raw);
    if (!stored) return make_error("stored envelope of " + qid + ": " + stored.error().message);

    if (!request.local_deliveries.empty() && !request.body)
        return make_error("outcome for " + qid + " delivers locally without the message body");
    auto targets = inbox_.plan(env, request.local_deliveries);
    if (!targets) return targets.error();
    auto refs = txn_.read_body_refs(qid);
    if (!refs) return refs.error();

    IdSet claimed;
    for (const auto& note : request.notifications) {
        if (!note) return make_error("outcome for " + qid + " has an empty notification");
        if (auto checked = check_accept(*note, claimed); !checked)
            return make_error("notification of " + qid + ": " + checked.error().message);
        claimed.insert(note->envelope.queue_id);
    }

    // --- writes: nothing below can fail ---
    std::string_view body = request.body ? std::string_view(*request.body) : std::string_view();
    uint64_t added = inbox_.write(targets.value(), env, body);
    request.mailboxes = InboxWriter::mailboxes_of(targets.value(), env, request.local_deliveries);
    for (size_t i : request.local_deliveries) env.recipients[i].state = mail::RcptState::kDelivered;
    env.held = stored->held;
    env.hold_reason = stored->hold_reason;
    env.hold_milter = stored->hold_milter;

    // Delete before put: when the due time did not change the key is the same
    // and the later put must win.
    txn_.del(StoreImpl::kSchedule, keys::schedule_key(stored->next_attempt, qid));
    uint64_t dropped = 0;
    if (mail::has_pending_recipients(env)) {
        txn_.put(StoreImpl::kEnvelopes, qid, encode_envelope(env));
        if (!env.held) txn_.put(StoreImpl::kSchedule, keys::schedule_key(env.next_attempt, qid), "");
    } else {
        txn_.del(StoreImpl::kEnvelopes, qid);
        dropped = 1;  // the envelope's reference
    }
    // One count from the stored one, the mailbox messages added and the
    // envelope reference dropped, so the body survives exactly as long as
    // something refers to it.
    if (added != 0 || dropped != 0) {
        if (refs.value() == 0) log::warn("body_refs_missing", {{"qid", qid}});
        txn_.set_body_refs(qid, adjusted_refcount(qid, refs.value(), added, dropped));
    }

    for (auto& note : request.notifications) write_accept(*note, false);
    for (auto& event : request.events) append_event(txn_, std::move(event));
    outcomes_.insert(qid);
    return {};
}

}  // namespace ringpost::store
