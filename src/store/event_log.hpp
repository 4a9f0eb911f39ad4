// The event log (Store::events()): delivery events (event.hpp) under
// increasing sequence ids, and one cursor per sink, the id of the last
// event it has handed on. docs/EVENTS.md describes what a consumer sees;
// docs/STORAGE.md the keys.
//
// Appending happens on the commit thread only (event_log_state.hpp), in
// the batch of the state change an event reports. The log is bounded:
// once a second the commit thread drops, with one range delete, the
// oldest events beyond max_events or older than retention, and logs how
// many a sink had not taken yet.
//
// The calls here block (a pool thread, never a ring thread).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace ringpost::store {

struct StoreImpl;

struct EventLogOptions {
    // Off: no event is made at all (nothing consumes them).
    bool enabled = false;
    uint64_t max_events = 1000000;
    int64_t retention_seconds = 7 * 86400;
};

struct LoggedEvent {
    uint64_t id = 0;
    int64_t time_ms = 0;
    std::string json;   // one line, no newline (event_json)
};

struct EventLogStats {
    uint64_t first_id = 0;   // the oldest id kept (next_id when empty)
    uint64_t next_id = 0;    // the id the next event gets
    uint64_t trimmed = 0;    // events dropped by the bounds since start
};

class EventLog {
public:
    explicit EventLog(StoreImpl& impl) : impl_(impl) {}
    EventLog(const EventLog&) = delete;
    EventLog& operator=(const EventLog&) = delete;

    bool enabled() const;
    // Up to `max` events with id > after, in id order.
    Result<std::vector<LoggedEvent>> read(uint64_t after, size_t max) const;
    // The cursor of sink `name` (0 = it has taken nothing yet). Also makes
    // the sink known to the trimming, which logs what it drops unsent.
    Result<uint64_t> cursor(std::string_view name);
    // Durably (a synced group commit): sink `name` has taken every event
    // up to `id`.
    Result<void> set_cursor(std::string_view name, uint64_t id);
    EventLogStats stats() const;

private:
    StoreImpl& impl_;
};

}  // namespace ringpost::store
