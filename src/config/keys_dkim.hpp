// The [dkim] keys of the key table (keys.cpp builds the table; these live
// apart because their tables hold lists and logins, not one string per
// domain). Internal to src/config.
#pragma once

#include <vector>

#include "config/keys.hpp"

namespace ringpost::config {

void add_dkim_keys(std::vector<Key>& table);

}  // namespace ringpost::config
