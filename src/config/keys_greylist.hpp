// The [greylist] keys of the key table (keys.cpp builds the table):
// greylisting at RCPT TO (docs/INBOUND.md "Greylisting"). Internal to
// src/config.
#pragma once

#include <vector>

#include "config/keys.hpp"

namespace ringpost::config {

void add_greylist_keys(std::vector<Key>& table);

}  // namespace ringpost::config
