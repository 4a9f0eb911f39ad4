// The [screen] keys of the key table (keys.cpp builds the table; these
// live apart because the DNSBL sites and signed thresholds are read with
// their own rules): screening before the SMTP greeting (docs/INBOUND.md).
// Internal to src/config.
#pragma once

#include <vector>

#include "config/keys.hpp"

namespace ringpost::config {

void add_screen_keys(std::vector<Key>& table);

}  // namespace ringpost::config
