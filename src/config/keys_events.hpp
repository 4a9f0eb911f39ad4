// The [events] keys of the key table (keys.cpp builds the table; these
// live apart because [events.webhooks] holds a table per webhook):
// the delivery event log's bounds and its sinks (docs/EVENTS.md).
// Internal to src/config.
#pragma once

#include <vector>

#include "config/keys.hpp"

namespace ringpost::config {

void add_events_keys(std::vector<Key>& table);

}  // namespace ringpost::config
