// The [milters] keys of the key table: one table per content filter
// (config.hpp MilterConfig). Internal to src/config.
#pragma once

#include <vector>

#include "config/keys.hpp"

namespace ringpost::config {

void add_milter_keys(std::vector<Key>& table);

}  // namespace ringpost::config
