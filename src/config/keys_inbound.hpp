// The [inbound] keys of the key table (keys.cpp builds the table): the
// checks of mail from others at the end of DATA (SPF now; DKIM
// verification and DMARC add theirs) and the Authentication-Results field
// they write (docs/INBOUND.md). Internal to src/config.
#pragma once

#include <vector>

#include "config/keys.hpp"

namespace ringpost::config {

void add_inbound_keys(std::vector<Key>& table);

}  // namespace ringpost::config
