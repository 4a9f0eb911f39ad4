// The POP3 server's counters (metrics/registry.hpp), resolved once at
// first use: commands by verb, refused authentications.
#pragma once

#include <vector>

#include "metrics/registry.hpp"
#include "pop3/command.hpp"

namespace ringpost::pop3 {

struct Pop3Metrics {
    std::vector<metrics::Counter> commands;   // by Verb
    metrics::Counter auth_failures;
    void command(Verb v) const { commands[static_cast<size_t>(v)].inc(); }
};

const Pop3Metrics& pop3_metrics();

}  // namespace ringpost::pop3
