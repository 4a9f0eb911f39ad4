// Spool (spool.hpp): the queue as the CLI and the admin socket see it --
// listing, one message, statistics -- and removing a queued message, a
// request of the commit stage like every outcome. The due scan and `queue
// flush` are in spool_schedule.cpp.
#include <functional>

#include "store/event_log_state.hpp"
#include "store/keys.hpp"
#include "store/spool.hpp"
#include "store/store_impl.hpp"
#include "store/write_txn.hpp"
#include "util/log.hpp"

namespace ringpost::store {

namespace {

// Calls fn(envelope) for every envelope in queue ID order until fn returns
// false; stops with the error at the first one that does not decode.
Result<void> scan_envelopes(const StoreImpl& impl, const std::function<bool(mail::Envelope&&)>& fn) {
    Result<void> bad{};
    auto r = impl.scan(StoreImpl::kEnvelopes, "", [&](std::string_view, std::string_view value) {
        auto env = decode_envelope(value);
        if (!env) {
            bad = env.error();
            return false;
        }
        return fn(std::move(env).value());
    });
    if (!r) return r;
    return bad;
}

}  // namespace

Result<std::vector<mail::Envelope>> Spool::list(size_t limit) {
    std::vector<mail::Envelope> out;
    auto r = scan_envelopes(impl_, [&](mail::Envelope&& env) {
        out.push_back(std::move(env));
        return limit == 0 || out.size() < limit;
    });
    if (!r) return r.error();
    return out;
}

Result<std::optional<mail::Envelope>> Spool::get_envelope(std::string_view queue_id) {
    auto stored = impl_.get(StoreImpl::kEnvelopes, queue_id);
    if (!stored) return stored.error();
    if (!stored->has_value()) return std::optional<mail::Envelope>();
    auto env = decode_envelope(**stored);
    if (!env) return env.error();
    return std::optional<mail::Envelope>(std::move(env).value());
}

Result<std::optional<std::string>> Spool::get_body(std::string_view queue_id) {
    return impl_.get(StoreImpl::kBodies, queue_id);
}

Result<void> Spool::remove(std::string_view queue_id) {
    if (auto w = impl_.require_writable(); !w) return w;
    auto deleted = impl_.run_write([&](WriteTxn& txn) -> Result<void> {
        auto stored = txn.get(StoreImpl::kEnvelopes, queue_id);
        if (!stored) return stored.error();
        if (!stored->has_value()) return make_error("queue id " + std::string(queue_id) + " is not in the queue");
        auto env = decode_envelope(**stored);
        if (!env) return env.error();
        if (auto r = txn.drop_body_refs({{std::string(queue_id), 1}}); !r) return r;  // reads, then writes
        txn.del(StoreImpl::kEnvelopes, queue_id);
        txn.del(StoreImpl::kSchedule, keys::schedule_key(env->next_attempt, queue_id));
        if (impl_.events.options.enabled) append_deleted_events(txn, *env);
        return {};
    });
    if (!deleted) return deleted;
    log::info("queue_deleted", {{"qid", queue_id}});
    return {};
}

Result<QueueStats> Spool::stats() {
    QueueStats stats;
    auto r = scan_envelopes(impl_, [&](mail::Envelope&& env) {
        stats.messages += 1;
        stats.held += env.held ? 1 : 0;
        stats.bytes += env.body_size;
        for (const auto& rc : env.recipients)
            if (mail::is_pending(rc.state))
                stats.recipients_pending += 1;
        if (stats.oldest == 0 || env.received_at < stats.oldest) stats.oldest = env.received_at;
        return true;
    });
    if (!r) return r.error();
    return stats;
}

}  // namespace ringpost::store
