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
#include "util/result.hpp"

namespace ringpost::store {

class Store;

// Accept one message: body once, envelope, schedule entry for remote
// recipients, and direct delivery into the INBOX of each local recipient
// (with Return-Path and Delivered-To), all in the same atomic batch.
struct AcceptRequest {
    mail::Envelope envelope;   // queue_id set; Recipient::local marks mailbox delivery
    std::string data;          // message bytes as stored in the spool
    // Called on the commit thread once the batch is durable (ok) or failed.
    std::function<void(const Result<void>&)> on_done;
};

struct CommitStats {
    uint64_t batches = 0;
    uint64_t requests = 0;
    uint64_t max_batch = 0;
};

class CommitStage {
public:
    virtual ~CommitStage() = default;
    // Thread-safe. Ownership passes to the stage.
    virtual void submit(std::unique_ptr<AcceptRequest> request) = 0;
    // Stop after committing everything already submitted (graceful shutdown).
    virtual void stop() = 0;
    virtual CommitStats stats() const = 0;
};

}  // namespace ringpost::store
