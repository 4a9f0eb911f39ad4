// Builds the one WriteBatch of a commit-stage batch, request by request
// (used by StoreImpl::write_batch, commit_batch.cpp), on the commit
// thread, the store's only writer.
//
// Every request does all its reads and checks first (through the batch:
// write_txn.hpp) and only then adds to it, so a request that fails (bad
// queue ID, message gone, read error, no such mailbox) leaves no trace in
// it and the others still commit; the caller also rolls a failed request
// back to its save point.
#pragma once

#include <functional>
#include <set>
#include <string>

#include "store/inbox_writer.hpp"
#include "store/store_impl.hpp"
#include "store/write_txn.hpp"

namespace ringpost::store {

class BatchBuilder {
public:
    explicit BatchBuilder(WriteTxn& txn) : txn_(txn), inbox_(txn) {}

    // Each adds everything of one request to the batch, or nothing.
    Result<void> apply(AcceptRequest& request);   // accept.cpp
    Result<void> apply(OutcomeRequest& request);  // outcome.cpp
    Result<void> apply(WriteRequest& request) { return request.build(txn_); }
    Result<void> apply(EventRequest& request);    // event_append.cpp

private:
    using IdSet = std::set<std::string, std::less<>>;

    // accept.cpp. The checks and reads of one message to spool; `claimed`
    // holds the queue IDs taken by the request being built (the other
    // notifications of one outcome), which are not in accepted_ yet.
    Result<void> check_accept(const AcceptRequest& request, const IdSet& claimed);
    // The writes; cannot fail. Only after check_accept succeeded.
    // `received`: a message from a client (its "received" events when the
    // event log is on), not a notification of an outcome.
    void write_accept(AcceptRequest& request, bool received);

    WriteTxn& txn_;
    InboxWriter inbox_;
    IdSet accepted_;  // queue IDs spooled by this batch so far
    IdSet outcomes_;  // queue IDs whose outcome this batch writes
};

}  // namespace ringpost::store
