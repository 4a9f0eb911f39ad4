// The [shaping] keys of the key table (keys.cpp builds the table; these
// live apart because [shaping.sites] holds a table of limits per site).
// Internal to src/config.
#pragma once

#include <vector>

#include "config/keys.hpp"

namespace ringpost::config {

void add_shaping_keys(std::vector<Key>& table);

}  // namespace ringpost::config
