// The IMAP server's counters (metrics/registry.hpp), resolved once at
// first use: commands by name, refused authentications.
#pragma once

#include <vector>

#include "imap/command.hpp"
#include "metrics/registry.hpp"

namespace ringpost::imap {

struct ImapMetrics {
    std::vector<metrics::Counter> commands;   // by CommandType
    metrics::Counter auth_failures;
    void command(CommandType t) const { commands[static_cast<size_t>(t)].inc(); }
};

const ImapMetrics& imap_metrics();

}  // namespace ringpost::imap
