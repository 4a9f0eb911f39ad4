// `queue flush` and `queue bounce`: the two commands that act on delivery.
//
// flush: every deferred message becomes due now (one synced write), and a
// running server's engine is told, so it retries at once -- Postfix's
// `postqueue -f`.
// bounce: every pending recipient of one message fails with "5.0.0 bounced
// by the administrator", and the sender gets the usual DSN, written in the
// same atomic batch through the commit stage (delivery::plan_bounce).
#include <ctime>
#include <future>

#include <fmt/core.h>

#include "admin/admin.hpp"
#include "admin/command_table.hpp"
#include "admin/commands.hpp"
#include "config/config.hpp"
#include "config/engine_config.hpp"
#include "delivery/engine.hpp"
#include "delivery/outcome.hpp"
#include "store/commit_stage.hpp"
#include "store/store.hpp"

namespace ringpost::admin::detail {
namespace {

int64_t unix_now() { return static_cast<int64_t>(std::time(nullptr)); }

}  // namespace

int queue_flush(const CommandCall& call) {
    auto& [store, extras, operands, input, out, err] = call;
    const int64_t now = unix_now();
    auto moved = store.spool().reschedule_all(now);
    if (!moved) return store_fail(err, moved.error());
    if (extras.engine) extras.engine->scheduled(now);
    out += fmt::format("flushed {} message{}\n", *moved, *moved == 1 ? "" : "s");
    return kExitOk;
}

int queue_bounce(const CommandCall& call) {
    auto& [store, extras, operands, input, out, err] = call;
    mail::Envelope env;
    std::string body;
    if (int code = load_queued(store.spool(), operands[0], env, body, err); code != kExitOk) return code;
    const std::string& id = env.queue_id;

    size_t pending = 0;
    for (const auto& r : env.recipients)
        if (r.state == mail::RcptState::kQueued || r.state == mail::RcptState::kDeferred) ++pending;
    if (pending == 0) return fail(err, kExitFailure, "queue ID " + id + " has no pending recipients");

    const config::Config config = extras.config ? *extras.config : config::default_config();
    delivery::OutcomePolicy policy;
    try {
        policy = delivery::outcome_policy(config::engine_config(config));
    } catch (const config::ConfigError& e) {
        return fail(err, kExitUsage, e.what());
    }
    auto shared_body = std::make_shared<const std::string>(std::move(body));
    auto plan = delivery::plan_bounce(env, shared_body, "5.0.0 bounced by the administrator", unix_now(), policy);

    // Through the commit stage like every spool write; wait for it here
    // (the admin thread may block; it is not a ring thread).
    std::promise<Result<void>> written;
    auto done = written.get_future();
    plan.request->on_done = [&written](const Result<void>& r) { written.set_value(r); };
    std::vector<std::pair<std::string, int64_t>> notifications;
    for (const auto& n : plan.request->notifications) notifications.emplace_back(n->envelope.queue_id, n->envelope.received_at);
    store.commit_stage().submit(std::move(plan.request));
    Result<void> result = done.get();
    if (!result) {
        if (result.error().code == store::kOutcomeGone) return fail(err, kExitFailure, "no such queue ID: " + id);
        return store_fail(err, result.error());
    }
    // The DSN is in the spool; a running engine delivers it now.
    if (extras.engine)
        for (const auto& [qid, due] : notifications) extras.engine->scheduled(due);
    out += fmt::format("bounced {}: {} recipient{}\n", id, pending, pending == 1 ? "" : "s");
    return kExitOk;
}

}  // namespace ringpost::admin::detail
