// The [shaping] keys of the key table (keys.cpp builds the table; these
// live apart because [shaping.sites] holds a table of limits per site).
// Internal to src/config.
#pragma once

#include <vector>

#include "config/key_kinds.hpp"
#include "config/keys.hpp"

namespace ringpost::config {

void add_shaping_keys(std::vector<Key>& table);
// A key's check that its value is a rate ("300/min"; "" = no limit).
kinds::Check rate_check();

}  // namespace ringpost::config
