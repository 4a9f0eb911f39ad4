// pop3_metrics() (pop3_metrics.hpp).
#include "pop3/pop3_metrics.hpp"

#include <string_view>

#include "auth/auth_metrics.hpp"

namespace ringpost::pop3 {
namespace {

// By Verb.
constexpr std::string_view kVerbNames[] = {"unknown", "empty", "forbidden", "user", "pass", "apop",
                                           "auth",    "capa",  "stls",      "quit", "stat", "list",
                                           "retr",    "dele",  "noop",      "rset", "top",  "uidl"};
static_assert(std::size(kVerbNames) == static_cast<size_t>(Verb::kUidl) + 1);

Pop3Metrics make() {
    metrics::Registry& r = metrics::global();
    Pop3Metrics m;
    m.commands = r.counter("ringpost_pop3_commands_total", "POP3 commands received, by verb", {"verb"}).each(kVerbNames);
    m.auth_failures = auth::auth_failures_counter("pop3");
    return m;
}

}  // namespace

const Pop3Metrics& pop3_metrics() {
    static const Pop3Metrics m = make();
    return m;
}

}  // namespace ringpost::pop3
