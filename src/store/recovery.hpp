// The recovery concern of the store (Store::recovery()): the consistency
// pass the server runs once at startup, before it accepts or delivers.
#pragma once

#include "util/result.hpp"

namespace ringpost::store {

struct StoreImpl;

class Recovery {
public:
    Recovery(const Recovery&) = delete;
    Recovery& operator=(const Recovery&) = delete;

    // Makes the schedule index (derived data) match the envelopes again and
    // reports damage (every write is one atomic batch, so a crash itself
    // leaves nothing half-done). A read-only store only reports.
    Result<void> recover();

private:
    friend class Store;
    explicit Recovery(StoreImpl& impl) : impl_(impl) {}
    StoreImpl& impl_;
};

}  // namespace ringpost::store
