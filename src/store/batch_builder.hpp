// Builds the one WriteBatch of a commit-stage batch, request by request
// (used by Store::Impl::write_batch, commit_batch.cpp).
//
// Every request does all its reads and checks first and only then adds to
// the batch, so a request that fails (bad queue ID, message gone, read
// error) leaves no trace in it and the others still commit. write_mu is
// held by the caller for the builder's whole life.
#pragma once

#include <functional>
#include <set>
#include <string>

#include "store/inbox_writer.hpp"
#include "store/store_impl.hpp"

namespace ringpost::store {

class BatchBuilder {
public:
    BatchBuilder(Store::Impl& impl, rocksdb::WriteBatch& batch) : impl_(impl), batch_(batch), inbox_(impl, batch) {}

    // Each adds everything of one request to the batch, or nothing.
    Result<void> apply(AcceptRequest& request);   // accept.cpp
    Result<void> apply(OutcomeRequest& request);  // outcome.cpp

    // Mailbox metas written by the batch; for the cache once it is durable.
    const MetaMap& dirty() const { return inbox_.dirty(); }

private:
    using IdSet = std::set<std::string, std::less<>>;

    // accept.cpp. The checks and reads of one message to spool; `claimed`
    // holds the queue IDs taken by the request being built (the other
    // notifications of one outcome), which are not in accepted_ yet.
    Result<void> check_accept(const AcceptRequest& request, const IdSet& claimed);
    // The writes; cannot fail. Only after check_accept succeeded.
    void write_accept(AcceptRequest& request);

    Store::Impl& impl_;
    rocksdb::WriteBatch& batch_;
    InboxWriter inbox_;
    IdSet accepted_;  // queue IDs spooled by this batch so far
    IdSet outcomes_;  // queue IDs whose outcome this batch writes
};

}  // namespace ringpost::store
