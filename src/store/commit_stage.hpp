// Group commit: sessions on ring threads submit CommitRequests; one commit
// thread gathers every request waiting, applies them all into ONE WriteBatch,
// writes it with sync=true (one fsync for many messages), then reports each
// outcome through the request's callback, on the commit thread. The callback
// must only hand the result back to the submitter's ring (Ring::post), never
// block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mail/envelope.hpp"
#include "store/event.hpp"
#include "store/store_error.hpp"
#include "util/result.hpp"

namespace ringpost::store {

class Store;

// Accept one message: the body once, the envelope and its schedule entry
// (due at envelope.next_attempt, or received_at when 0), in one atomic
// batch. Every recipient, local or remote, is delivered later by the
// delivery engine, so that both share one path for outcomes (OutcomeRequest).
struct AcceptRequest {
    mail::Envelope envelope;   // queue_id set; Recipient::local marks mailbox delivery
    std::string data;          // message bytes as stored in the spool
    // Called on the commit thread once the batch is durable (ok) or failed.
    std::function<void(const Result<void>&)> on_done;
};

// The outcome of one delivery attempt of a spooled message, written
// atomically with everything it implies:
//  * the local recipients listed in local_deliveries are put into their
//    INBOX (Return-Path + Delivered-To prefix, UID from the mailbox meta;
//    one copy per distinct user) and marked delivered;
//  * the schedule entry of the stored envelope (at its stored next_attempt)
//    is removed; if a recipient is still pending (queued/deferred) the new
//    envelope is stored with a schedule entry at envelope.next_attempt,
//    otherwise the envelope is deleted and its body reference dropped (the
//    body goes when no mailbox message refers to it either);
//  * the notifications (DSNs, null sender) are spooled like AcceptRequests.
// If the message is no longer in the spool (deleted or bounced by the
// administrator meanwhile), nothing at all is written and on_done gets an
// error whose code is kOutcomeGone (store_error.hpp).
struct OutcomeRequest {
    mail::Envelope envelope;             // after the attempt: states, attempts, last_reply, next_attempt
    std::vector<size_t> local_deliveries;  // indices into envelope.recipients
    // The stored message bytes: needed when local_deliveries is not empty
    // (sizes and the Subject of the mailbox entry); may be null otherwise.
    std::shared_ptr<const std::string> body;
    std::vector<std::unique_ptr<AcceptRequest>> notifications;  // their on_done is not called
    // Delivery events (delivered, deferred, failed, expired, dsn), appended
    // to the event log in the same batch; empty while events are off.
    std::vector<Event> events;
    // Set by the commit thread before on_done (success): the mailbox each
    // of local_deliveries went into, in that order ("INBOX", or the user's
    // junk mailbox for an envelope marked so).
    std::vector<std::string> mailboxes;
    std::function<void(const Result<void>&)> on_done;
};

// Events that report no write of their own (an SMTP rejection, a site
// suspended or throttled by shaping automation): they join the next batch.
// A batch of nothing but these is written without a sync of its own; the
// next synced batch (any accept, outcome or cursor) makes them durable.
// No callback: the submitter does not wait.
struct EventRequest {
    std::vector<Event> events;
};

struct CommitStats {
    uint64_t batches = 0;
    uint64_t requests = 0;
    uint64_t max_batch = 0;
};

class CommitStage {
public:
    virtual ~CommitStage() = default;
    // Thread-safe. Ownership passes to the stage. Accepts and outcomes
    // share the same batches (one fsync for both).
    virtual void submit(std::unique_ptr<AcceptRequest> request) = 0;
    virtual void submit(std::unique_ptr<OutcomeRequest> request) = 0;
    virtual void submit(std::unique_ptr<EventRequest> request) = 0;
    // Stop after committing everything already submitted (graceful shutdown).
    virtual void stop() = 0;
    virtual CommitStats stats() const = 0;
};

}  // namespace ringpost::store
