// The commit thread's half of the store: turning a batch of accepts and
// outcomes into one atomic, synced WriteBatch (Store::Impl::write_batch).
// What one request writes: accept.cpp (spooling) and outcome.cpp (the result
// of a delivery attempt).
//
// A request that fails is rejected on its own and the rest of the batch
// commits; a failed write fails every request. Mailbox metas changed by the
// batch enter the cache only once the write is durable.
#include <type_traits>

#include "store/batch_builder.hpp"
#include "util/log.hpp"

namespace ringpost::store {
namespace {

// Bound on the meta cache (one small entry per active mailbox); past it the
// cache is simply dropped and refilled from the database on demand.
constexpr size_t kMaxCachedMailboxes = 100000;

void log_rejected(const CommitRef& request, const Error& error) {
    std::visit([&](auto* r) {
        const std::string& qid = r->envelope.queue_id;
        if constexpr (std::is_same_v<decltype(r), AcceptRequest*>)
            log::warn("accept_rejected", {{"qid", qid}, {"error", error.message}});
        else if (error.code == kOutcomeGone)  // deleted or bounced by the administrator meanwhile
            log::info("outcome_dropped", {{"qid", qid}, {"reason", error.message}});
        else
            log::warn("outcome_rejected", {{"qid", qid}, {"error", error.message}});
    }, request);
}

}  // namespace

bool has_pending_recipients(const mail::Envelope& envelope) {
    for (const auto& r : envelope.recipients)
        if (r.state == mail::RcptState::kQueued || r.state == mail::RcptState::kDeferred) return true;
    return false;
}

void Store::Impl::write_batch(std::span<const CommitRef> requests, std::vector<Result<void>>& results) {
    if (auto w = require_writable(); !w) {
        for (auto& r : results) r = w.error();
        return;
    }
    std::lock_guard lock(write_mu);
    if (meta_cache.size() > kMaxCachedMailboxes) meta_cache.clear();

    rocksdb::WriteBatch batch;
    BatchBuilder builder(*this, batch);
    // users is only modified with write_mu held, which we hold: the shared
    // lock is for the ring threads' user_exists() readers, not for us.
    std::shared_lock users_lock(users_mu);
    size_t applied = 0;
    for (size_t i = 0; i < requests.size(); ++i) {
        results[i] = std::visit([&](auto* r) { return builder.apply(*r); }, requests[i]);
        if (results[i]) ++applied;
        else log_rejected(requests[i], results[i].error());
    }
    users_lock.unlock();
    if (applied == 0) return;

    auto written = write_synced(batch, "committing accepted messages and delivery outcomes");
    if (!written) {
        for (auto& r : results)
            if (r) r = written.error();
        return;
    }
    for (const auto& [key, meta] : builder.dirty()) meta_cache[key] = meta;
}

}  // namespace ringpost::store
