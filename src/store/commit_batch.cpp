// The commit thread's half of the store: turning a batch of accepts,
// outcomes and the other writes (WriteRequest) into one atomic, synced
// WriteBatch (StoreImpl::write_batch). What one request writes:
// accept.cpp (spooling), outcome.cpp (the result of a delivery attempt),
// and for the rest the build of the blocking call that submitted it
// (users.cpp, spool.cpp, mailboxes.cpp, mailbox_messages.cpp, ...).
//
// A request that fails is rejected on its own -- rolled back to the save
// point taken before it -- and the rest of the batch commits; a failed
// write fails every request. Mailbox metas changed by the batch enter the
// cache, and the requests' after-commit actions run, only once the write
// is durable.
#include <algorithm>
#include <type_traits>

#include "store/batch_builder.hpp"
#include "store/write_txn.hpp"
#include "util/log.hpp"

namespace ringpost::store {
namespace {

// Bound on the meta cache (one small entry per active mailbox); past it the
// cache is simply dropped and refilled from the database on demand.
constexpr size_t kMaxCachedMailboxes = 100000;

void log_rejected(const CommitRef& request, const Error& error) {
    std::visit([&](auto* r) {
        using Kind = std::remove_pointer_t<decltype(r)>;
        if constexpr (std::is_same_v<Kind, AcceptRequest>) {
            log::warn("accept_rejected", {{"qid", r->envelope.queue_id}, {"error", error.message}});
        } else if constexpr (std::is_same_v<Kind, OutcomeRequest>) {
            if (error.code == kOutcomeGone)  // deleted or bounced by the administrator meanwhile
                log::info("outcome_dropped", {{"qid", r->envelope.queue_id}, {"reason", error.message}});
            else
                log::warn("outcome_rejected", {{"qid", r->envelope.queue_id}, {"error", error.message}});
        }
        // A WriteRequest's error (no such mailbox, user exists, ...) goes to
        // its caller, which decides whether it is worth a log line.
    }, request);
}

}  // namespace

void StoreImpl::write_batch(std::span<const CommitRef> requests, std::vector<Result<void>>& results) {
    if (auto w = require_writable(); !w) {
        for (auto& r : results) r = w.error();
        return;
    }
    if (meta_cache.size() > kMaxCachedMailboxes) meta_cache.clear();

    WriteTxn txn(*this);
    BatchBuilder builder(txn);
    // Only this thread modifies users (after a commit, below): the shared
    // lock is for the ring threads' Users::exists() readers, not for us.
    std::shared_lock users_lock(users_mu);
    for (size_t i = 0; i < requests.size(); ++i) {
        txn.begin_request();
        results[i] = std::visit([&](auto* r) { return builder.apply(*r); }, requests[i]);
        if (results[i]) {
            txn.end_request();
        } else {
            txn.fail_request();
            log_rejected(requests[i], results[i].error());
        }
    }
    users_lock.unlock();

    // Requests that changed nothing (a STORE of flags already set) still
    // wait for the batch: what they read may be what an earlier request of
    // it wrote.
    // A batch of nothing but loose events (EventRequest) and unsynced
    // writes (WriteRequest::sync false) needs no fsync of its own: the next
    // synced batch carries them to disk.
    const bool only_events = std::all_of(requests.begin(), requests.end(), [](const CommitRef& r) {
        if (auto* w = std::get_if<WriteRequest*>(&r)) return !(*w)->sync;
        return std::holds_alternative<EventRequest*>(r);
    });
    if (!txn.empty()) {
        auto written = write_synced(*txn.write_batch(), "committing a batch of store writes", !only_events);
        if (!written) {
            for (auto& r : results)
                if (r) r = written.error();
            return;
        }
    }
    txn.committed();
    trim_events(*this);
}

}  // namespace ringpost::store
