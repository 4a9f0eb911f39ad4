// The counter of refused authentications, one family for every protocol
// (ringpost_auth_failures_total{protocol}): SMTP AUTH, POP3 and IMAP
// sessions count each 535 / -ERR / NO they give a login, wrong password or
// malformed exchange alike. Header only, like auth/outcome.hpp: the
// protocol layers use it without the auth library.
#pragma once

#include <string_view>

#include "metrics/registry.hpp"

namespace ringpost::auth {

// Resolves the child: call once (at first use) and keep the handle.
inline metrics::Counter auth_failures_counter(std::string_view protocol) {
    return metrics::global()
        .counter("ringpost_auth_failures_total",
                 "authentications refused (wrong password, malformed exchange), by protocol", {"protocol"})
        .with({protocol});
}

}  // namespace ringpost::auth
