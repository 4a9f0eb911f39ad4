// imap_metrics() (imap_metrics.hpp).
#include "imap/imap_metrics.hpp"

#include <string>
#include <string_view>

#include "auth/auth_metrics.hpp"

namespace ringpost::imap {
namespace {

ImapMetrics make() {
    metrics::Registry& r = metrics::global();
    // Lower-case command names, by CommandType.
    std::vector<std::string> names;
    for (size_t t = 0; t <= static_cast<size_t>(CommandType::kIdle); ++t) {
        std::string n(command_name(static_cast<CommandType>(t)));
        for (char& c : n) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        names.push_back(std::move(n));
    }
    const std::vector<std::string_view> views(names.begin(), names.end());
    ImapMetrics m;
    m.commands = r.counter("ringpost_imap_commands_total", "IMAP commands received, by command", {"command"}).each(views);
    m.auth_failures = auth::auth_failures_counter("imap");
    return m;
}

}  // namespace

const ImapMetrics& imap_metrics() {
    static const ImapMetrics m = make();
    return m;
}

}  // namespace ringpost::imap
