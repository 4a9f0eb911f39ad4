// `queue hold` and `queue release` (Spool::hold, Spool::release): Postfix's
// hold queue as a flag on the envelope. A held message keeps its envelope
// and body but has no schedule entry, so the delivery engine never loads
// it: no attempt, no retry counted, no expiry while it is held (as
// postsuper(1) says of Postfix's, it becomes subject to expiration after
// it is released; the queue lifetime still counts from its arrival).
// Release gives it an entry at `when` (due now).
#include "store/event_log_state.hpp"
#include "store/keys.hpp"
#include "store/spool.hpp"
#include "store/store_impl.hpp"
#include "store/store_metrics.hpp"
#include "store/write_txn.hpp"
#include "util/log.hpp"

namespace ringpost::store {
namespace {

using Picked = std::vector<std::pair<std::string, mail::Envelope>>;

// The target's messages whose hold is not `hold` yet (and, to be held,
// that have something pending), read through the batch.
Result<Picked> pick(WriteTxn& txn, const HoldTarget& target, bool hold) {
    Picked picked;
    auto wanted = [hold](const mail::Envelope& env) { return env.held != hold && mail::has_pending_recipients(env); };
    if (!target.queue_id.empty()) {
        auto stored = txn.get(StoreImpl::kEnvelopes, target.queue_id);
        if (!stored) return stored.error();
        if (!stored->has_value()) return make_error("no such queue ID: " + target.queue_id);
        auto env = decode_envelope(**stored);
        if (!env) return env.error();
        if (wanted(*env)) picked.emplace_back(target.queue_id, std::move(env).value());
        return picked;
    }
    auto r = txn.scan(StoreImpl::kEnvelopes, "", [&](std::string_view key, std::string_view value) {
        auto env = decode_envelope(value);
        if (!env) {  // logged by recover(); no reason to fail the others
            log::warn("hold_skipped", {{"qid", key}, {"error", env.error().message}});
            return true;
        }
        if (wanted(*env) && (!target.which || target.which(*env))) picked.emplace_back(std::string(key), std::move(env).value());
        return true;
    });
    if (!r) return r.error();
    return picked;
}

}  // namespace

Result<std::vector<std::string>> Spool::hold(const HoldTarget& target, const std::string& reason) {
    return change_hold(target, true, reason, 0);
}

Result<std::vector<std::string>> Spool::release(const HoldTarget& target, int64_t when) {
    return change_hold(target, false, {}, when);
}

Result<std::vector<std::string>> Spool::change_hold(const HoldTarget& target, bool hold, const std::string& reason,
                                                    int64_t when) {
    if (auto w = impl_.require_writable(); !w) return w.error();
    std::vector<std::string> changed;
    Picked picked;   // kept for the log lines after the write
    auto written = impl_.run_write([&](WriteTxn& txn) -> Result<void> {
        auto p = pick(txn, target, hold);
        if (!p) return p.error();
        picked = std::move(p).value();
        for (auto& [qid, env] : picked) {
            // The entry at the stored due time goes either way; a release
            // puts the new one.
            txn.del(StoreImpl::kSchedule, keys::schedule_key(env.next_attempt, qid));
            if (hold) {
                env.held = true;
                env.hold_reason = reason;
                env.hold_milter.clear();
            } else {
                env.held = false;
                env.next_attempt = when;
                txn.put(StoreImpl::kSchedule, keys::schedule_key(when, qid), "");
            }
            // The event says what was held or released, before a release
            // forgets it.
            if (impl_.events.options.enabled) append_hold_event(txn, hold ? "held" : "released", env);
            if (!hold) {
                env.hold_reason.clear();
                env.hold_milter.clear();
            }
            txn.put(StoreImpl::kEnvelopes, qid, encode_envelope(env));
        }
        return {};
    });
    if (!written) return written.error();
    const HoldMetrics& m = hold_metrics();
    for (const auto& [qid, env] : picked) {
        if (hold) {
            m.held_by_operator.inc();
            log::info("held", {{"qid", qid}, {"source", "operator"}, {"reason", reason}});
        } else {
            m.released.inc();
            log::info("released", {{"qid", qid}, {"due", when}});
        }
        changed.push_back(qid);
    }
    return changed;
}

}  // namespace ringpost::store
