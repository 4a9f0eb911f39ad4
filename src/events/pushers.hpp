// The event pushers: one thread with its own ring, where each sink
// (sink.hpp) runs as a coroutine that reads the event log after its
// cursor (store reads and cursor writes go through a one-thread blocking
// pool), delivers in batches, in log order, and moves its cursor -- durably,
// in the store -- only after the sink took the batch. A failed batch is
// retried, whole, after the sink's backoff. Mail never waits for any of
// it: the log is written by the commit thread, and a dead endpoint only
// lets its backlog grow, up to the log's bounds.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "events/options.hpp"
#include "util/result.hpp"

namespace ringpost::store {
class Store;
}

namespace ringpost::events {

class EventPushers {
public:
    EventPushers(store::Store& store, EventsOptions options);
    ~EventPushers();   // stop()s
    EventPushers(const EventPushers&) = delete;
    EventPushers& operator=(const EventPushers&) = delete;

    // Starts the thread (nothing when no sink is configured).
    Result<void> start();
    // Cancels every wait, lets each sink's coroutine end, joins. Before the
    // store closes: the sinks' last cursor writes go through it.
    void stop();

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace ringpost::events
