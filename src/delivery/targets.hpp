// Where a destination domain's mail goes: the static route if there is one,
// else its MX hosts (RFC 5321 5.1, through the resolver), as an ordered list
// of (host, IP, port) to try one after the other. MX hosts at or above our
// own preference are dropped (we are one of the domain's MX hosts: sending
// to an equal or worse one would loop); if that leaves nothing the mail
// "loops back to myself" (5.4.6), like Postfix says.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "delivery/smtp_client.hpp"
#include "io/task.hpp"
#include "util/result.hpp"

namespace ringpost::dns {
class Resolver;
}

namespace ringpost::delivery {

struct EngineConfig;

struct Target {
    std::string host;   // MX host name (or the route's host)
    std::string ip;
    uint16_t port = 0;
};

struct Targets {
    std::vector<Target> list;
    // Set when there is nowhere to go: kFailed (NXDOMAIN, null MX, loop)
    // or kDeferred (DNS trouble).
    std::optional<Diagnostic> failure;
};

io::Task<Targets> resolve_targets(dns::Resolver& resolver, std::string domain, const EngineConfig& config);

// A Diagnostic from a connection/DNS Error: "554 5.7.1 text" or "4.4.1 text"
// messages are split into code, enhanced code and text.
Diagnostic diagnostic_from_error(const Error& error, Outcome outcome, std::string_view default_enhanced);

}  // namespace ringpost::delivery
