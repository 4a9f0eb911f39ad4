// The event log: appending and trimming on the commit thread, reads and
// cursors for the sinks (event_log.hpp, event_log_state.hpp).
#include <chrono>

#include "store/event_log_state.hpp"
#include "store/event_record.hpp"
#include "store/keys.hpp"
#include "store/store_impl.hpp"
#include "store/write_txn.hpp"
#include "util/log.hpp"

namespace ringpost::store {
namespace {

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// How far one trim walks the log by age; the rest waits for the next second.
constexpr uint64_t kMaxRetentionSteps = 100000;

// The first id to keep: beyond max_events by count, then past every event
// older than the retention by time (ids and times rise together, so the
// walk stops at the first young one).
uint64_t first_to_keep(StoreImpl& impl, int64_t now) {
    EventLogState& ev = impl.events;
    uint64_t keep = ev.first_id;
    if (ev.next_id - ev.first_id > ev.options.max_events) keep = ev.next_id - ev.options.max_events;
    const int64_t cutoff = now - ev.options.retention_seconds * 1000;
    std::unique_ptr<rocksdb::Iterator> it(impl.db->NewIterator(rocksdb::ReadOptions(), impl.cf(StoreImpl::kEvents)));
    uint64_t steps = 0;
    bool all_old = true;
    for (it->Seek(keys::event_key(keep)); it->Valid() && steps < kMaxRetentionSteps; it->Next(), ++steps) {
        std::string_view value(it->value().data(), it->value().size());
        if (value.size() >= 8 && static_cast<int64_t>(keys::get_be64(value)) >= cutoff) {
            all_old = false;
            break;
        }
        keep = keys::get_be64(std::string_view(it->key().data(), it->key().size())) + 1;
    }
    // The walk reached the end of the log: nothing younger is left.
    if (all_old && steps < kMaxRetentionSteps && it->status().ok()) keep = ev.next_id;
    return std::min(keep, ev.next_id);
}

void log_unsent(const EventLogState& ev, uint64_t keep) {
    for (const auto& [sink, cursor] : ev.cursors) {
        const uint64_t from = std::max(cursor + 1, ev.first_id);
        if (from < keep)
            log::warn("events_dropped_unsent", {{"sink", sink}, {"events", keep - from}, {"cursor", cursor}});
    }
}

}  // namespace

void append_event(WriteTxn& txn, Event event) {
    EventLogState& ev = txn.impl().events;
    if (event.time_ms == 0) event.time_ms = now_ms();
    const uint64_t id = ev.next_id++;
    // The binary record: the JSON line is made when a sink reads it.
    txn.put(StoreImpl::kEvents, keys::event_key(id), encode_event_value(event));
    ev.next_id_seen.store(ev.next_id, std::memory_order_relaxed);
}

void trim_events(StoreImpl& impl) {
    EventLogState& ev = impl.events;
    if (!ev.options.enabled) return;
    const int64_t now = now_ms();
    if (now - ev.last_trim_ms < 1000) return;
    ev.last_trim_ms = now;
    const uint64_t keep = first_to_keep(impl, now);
    if (keep <= ev.first_id) return;
    rocksdb::Status s = impl.db->DeleteRange(rocksdb::WriteOptions(), impl.cf(StoreImpl::kEvents),
                                             keys::event_key(ev.first_id), keys::event_key(keep));
    if (!s.ok()) {
        log::warn("events_trim_failed", {{"error", s.ToString()}});
        return;
    }
    log_unsent(ev, keep);
    log::info("events_trimmed", {{"events", keep - ev.first_id}, {"first_id", keep}});
    ev.trimmed.fetch_add(keep - ev.first_id, std::memory_order_relaxed);
    ev.first_id = keep;
    ev.first_id_seen.store(keep, std::memory_order_relaxed);
}

Result<void> load_event_log(StoreImpl& impl) {
    EventLogState& ev = impl.events;
    std::unique_ptr<rocksdb::Iterator> it(impl.db->NewIterator(rocksdb::ReadOptions(), impl.cf(StoreImpl::kEvents)));
    bool empty = true;
    it->SeekToLast();
    if (it->Valid() && it->key().size() == 8) {
        ev.next_id = keys::get_be64(std::string_view(it->key().data(), 8)) + 1;
        it->SeekToFirst();
        if (it->Valid() && it->key().size() == 8) {
            ev.first_id = keys::get_be64(std::string_view(it->key().data(), 8));
            empty = false;
        }
    }
    if (!it->status().ok()) return db_error("reading the event log", it->status());
    // Cursors can be ahead of the log (it was trimmed empty); ids go on
    // after the highest either way, so a cursor never covers a new event.
    auto scanned = impl.scan(StoreImpl::kDefault, keys::kEventCursorPrefix, [&](std::string_view, std::string_view v) {
        if (v.size() >= 8) ev.next_id = std::max(ev.next_id, keys::get_be64(v) + 1);
        return true;
    });
    if (!scanned) return scanned.error();
    if (empty) ev.first_id = ev.next_id;
    ev.next_id_seen.store(ev.next_id);
    ev.first_id_seen.store(ev.first_id);
    return {};
}

bool EventLog::enabled() const { return impl_.events.options.enabled; }

Result<std::vector<LoggedEvent>> EventLog::read(uint64_t after, size_t max) const {
    std::vector<LoggedEvent> out;
    rocksdb::ReadOptions ro;
    std::unique_ptr<rocksdb::Iterator> it(impl_.db->NewIterator(ro, impl_.cf(StoreImpl::kEvents)));
    for (it->Seek(keys::event_key(after + 1)); it->Valid() && out.size() < max; it->Next()) {
        std::string_view key(it->key().data(), it->key().size());
        std::string_view value(it->value().data(), it->value().size());
        if (key.size() != 8 || value.size() < 8) continue;
        const uint64_t id = keys::get_be64(key);
        auto json = stored_event_json(id, value);
        if (!json) {
            // Skipped, not retried: a damaged record would stop the sink for good.
            log::warn("events_record_unreadable", {{"id", id}, {"error", json.error().message}});
            continue;
        }
        out.push_back(LoggedEvent{id, static_cast<int64_t>(keys::get_be64(value)), std::move(json).value()});
    }
    if (!it->status().ok()) return db_error("reading the event log", it->status());
    return out;
}

Result<uint64_t> EventLog::cursor(std::string_view name) {
    if (auto w = impl_.require_writable(); !w) return w.error();
    // Through the commit thread, which owns the map of known cursors.
    return impl_.write<uint64_t>([&](WriteTxn& txn) -> Result<uint64_t> {
        auto stored = txn.get(StoreImpl::kDefault, keys::event_cursor_key(name));
        if (!stored) return stored.error();
        const uint64_t id = *stored && (*stored)->size() >= 8 ? keys::get_be64(**stored) : 0;
        txn.impl().events.cursors[std::string(name)] = id;
        return id;
    });
}

Result<void> EventLog::set_cursor(std::string_view name, uint64_t id) {
    if (auto w = impl_.require_writable(); !w) return w.error();
    return impl_.run_write([&](WriteTxn& txn) -> Result<void> {
        std::string value;
        keys::put_be64(value, id);
        txn.put(StoreImpl::kDefault, keys::event_cursor_key(name), value);
        txn.after_commit([&impl = txn.impl(), sink = std::string(name), id] { impl.events.cursors[sink] = id; });
        return {};
    });
}

EventLogStats EventLog::stats() const {
    const EventLogState& ev = impl_.events;
    return EventLogStats{ev.first_id_seen.load(std::memory_order_relaxed), ev.next_id_seen.load(std::memory_order_relaxed),
                         ev.trimmed.load(std::memory_order_relaxed)};
}

}  // namespace ringpost::store
