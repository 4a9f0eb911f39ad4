// `ringpost metrics`: the server's metrics in the Prometheus text format,
// the same text GET /metrics serves. Only the server has them: its
// registry is what its threads count into.
#include "admin/admin.hpp"
#include "admin/command_table.hpp"
#include "admin/commands.hpp"
#include "metrics/registry.hpp"

namespace ringpost::admin::detail {

int metrics_text(const CommandCall& call) {
    if (!call.extras.metrics) {
        static const CommandSpec* const spec = find_command({"metrics"});
        return fail(call.err, kExitFailure, needs_server_message(*spec));
    }
    call.out += call.extras.metrics->render_text();
    return kExitOk;
}

}  // namespace ringpost::admin::detail
