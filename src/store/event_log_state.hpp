// The commit thread's side of the event log (event_log.hpp): the next
// sequence id, the oldest one kept, the sinks' cursors as committed, and
// the appending and trimming itself. Internal to src/store.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "mail/envelope.hpp"
#include "store/event.hpp"
#include "store/event_log.hpp"
#include "util/result.hpp"

namespace ringpost::store {

class WriteTxn;
struct StoreImpl;

struct EventLogState {
    EventLogOptions options;
    // Commit thread only (loaded at open before it starts).
    uint64_t next_id = 1;
    uint64_t first_id = 1;
    int64_t last_trim_ms = 0;
    std::map<std::string, uint64_t, std::less<>> cursors;   // known sinks, as committed
    // Read by stats() on any thread.
    std::atomic<uint64_t> next_id_seen{1};
    std::atomic<uint64_t> first_id_seen{1};
    std::atomic<uint64_t> trimmed{0};
};

// Adds `event` to the batch under the next id (time = now if unset).
// Ids of a batch that fails are not reused: ids increase, with gaps.
void append_event(WriteTxn& txn, Event event);
// One "received" event per recipient of a message just spooled.
void append_received_events(WriteTxn& txn, const mail::Envelope& envelope);
// One "held" or "released" event (`type`) for the message: its hold
// reason, and the milter that quarantined it.
void append_hold_event(WriteTxn& txn, const char* type, const mail::Envelope& envelope);
// One "deleted" event per recipient still pending in a message that
// `queue delete` removes: nothing else will ever be said of them.
void append_deleted_events(WriteTxn& txn, const mail::Envelope& envelope);
// After a batch is durable: at most once a second, drops the events
// beyond the bounds (a range delete of its own, unsynced: losing it in a
// crash only means trimming again).
void trim_events(StoreImpl& impl);
// At open: the first and next ids from the events column family.
Result<void> load_event_log(StoreImpl& impl);

}  // namespace ringpost::store
