// The [egress] keys of the key table (keys.cpp builds the table; these
// live apart because [egress.sources] and [egress.pools] hold a table per
// source and per pool), and the check that every pool and source a key
// names exists. Internal to src/config.
#pragma once

#include <vector>

#include "config/keys.hpp"

namespace ringpost::config {

void add_egress_keys(std::vector<Key>& table);
// After the whole file is read: every name refers to a source or pool
// that exists; throws ConfigError naming the key that does not.
void check_egress_names(const Reader& r, const EgressConfig& egress);

}  // namespace ringpost::config
