// An event as the log stores it (keys.hpp, events CF): be64(unix ms), then
// a compact binary record of the event's fields. The JSON line a sink
// sends is made from it when a sink reads the log (event_json), on the
// pushers' thread, so the commit thread only copies a few strings.
//
// Logs written before the binary record hold the JSON line itself after
// the time (it starts with '{'); stored_event_json passes those through,
// so a log survives an upgrade unchanged. Internal to src/store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/event.hpp"
#include "util/result.hpp"

namespace ringpost::store {

// The first byte of a binary record after the time: never '{'.
inline constexpr uint8_t kEventRecordVersion = 1;

// be64(event.time_ms) + the binary record.
std::string encode_event_value(const Event& event);
// The event of a stored value (its time from the prefix); an error for a
// truncated record or an unknown version.
Result<Event> decode_event_value(std::string_view value);
// The JSON line of a stored value under `id`: made from a binary record,
// or the stored line of an older log as it is.
Result<std::string> stored_event_json(uint64_t id, std::string_view value);

}  // namespace ringpost::store
