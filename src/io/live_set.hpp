// LiveSet: the connections alive on one ring, so that graceful shutdown can
// find them: cancel the idle ones at once, the busy ones after a grace
// period. An intrusive list: joining and leaving allocate nothing.
// Single-threaded (one per ring).
#pragma once

#include <cstddef>

#include "io/ops.hpp"

namespace ringpost::io {

class LiveSet;

struct LiveEntry {
    CancelSlot slot;            // the operation the connection waits on
    bool busy = false;          // in a transaction: let it finish first
    LiveEntry* prev = nullptr;
    LiveEntry* next = nullptr;
};

class LiveSet {
public:
    void add(LiveEntry& e) {
        e.next = head_;
        e.prev = nullptr;
        if (head_) head_->prev = &e;
        head_ = &e;
        ++count_;
    }
    void remove(LiveEntry& e) {
        if (e.prev) e.prev->next = e.next;
        else head_ = e.next;
        if (e.next) e.next->prev = e.prev;
        e.prev = e.next = nullptr;
        --count_;
    }
    // Cancel what each connection waits on; `include_busy` also interrupts
    // connections in the middle of a transaction.
    void cancel_all(bool include_busy) {
        for (LiveEntry* e = head_; e; e = e->next)
            if (include_busy || !e->busy) e->slot.cancel();
    }
    size_t size() const { return count_; }
    bool draining() const { return draining_; }
    void set_draining() { draining_ = true; }

private:
    LiveEntry* head_ = nullptr;
    size_t count_ = 0;
    bool draining_ = false;
};

}  // namespace ringpost::io
