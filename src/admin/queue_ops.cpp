// `queue flush` and `queue bounce`: the two commands that act on delivery.
//
// flush: every deferred message becomes due now (one synced write), and a
// running server's engine is told, so it retries at once -- Postfix's
// `postqueue -f`.
// bounce: every pending recipient of one message (or, with --domain, of
// every message, those in that domain: queue_control.cpp) fails with
// "5.0.0 bounced by the administrator", and the sender gets the usual DSN,
// written in the same atomic batch through the commit stage
// (delivery::plan_bounce).
#include <ctime>
#include <functional>
#include <future>

#include <fmt/core.h>

#include "admin/admin.hpp"
#include "admin/command_table.hpp"
#include "admin/commands.hpp"
#include "admin/json_output.hpp"
#include "config/config.hpp"
#include "config/engine_config.hpp"
#include "delivery/engine.hpp"
#include "delivery/outcome.hpp"
#include "delivery/outcome_events.hpp"
#include "store/commit_stage.hpp"
#include "store/store.hpp"

namespace ringpost::admin::detail {
int64_t unix_now() { return static_cast<int64_t>(std::time(nullptr)); }

int queue_flush(const CommandCall& call) {
    auto& [store, extras, operands, options, input, out, err, format] = call;
    const int64_t now = unix_now();
    auto moved = store.spool().reschedule_all(now);
    if (!moved) return store_fail(err, moved.error());
    if (extras.engine) extras.engine->scheduled(now);
    return answer(call, fmt::format("flushed {} message{}\n", *moved, *moved == 1 ? "" : "s"),
                  Json{{"messages_due", *moved}});
}

// One message's bounce through the commit stage (waited for here: the
// admin thread may block; it is not a ring thread). `which` picks the
// recipients (all pending ones when empty). Returns how many failed, or
// kExitOk with `bounced` set, or the exit code of the failure (written to err).
int bounce_message(const CommandCall& call, mail::Envelope env, std::string body,
                   const std::function<bool(const mail::Recipient&)>& which, size_t& bounced) {
    auto& [store, extras, operands, options, input, out, err, format] = call;
    const std::string id = env.queue_id;
    bounced = 0;
    for (const auto& r : env.recipients)
        if (mail::is_pending(r.state) && (!which || which(r)))
            ++bounced;
    if (bounced == 0) return fail(err, kExitFailure, "queue ID " + id + " has no pending recipients");

    const config::Config config = extras.config ? *extras.config : config::default_config();
    delivery::OutcomePolicy policy;
    try {
        policy = delivery::outcome_policy(config::engine_config(config));
    } catch (const config::ConfigError& e) {
        return fail(err, kExitUsage, e.what());
    }
    auto shared_body = std::make_shared<const std::string>(std::move(body));
    auto plan =
        delivery::plan_bounce(env, shared_body, "5.0.0 bounced by the administrator", unix_now(), policy, which);
    // Webhook consumers learn of the failure like of any other (docs/EVENTS.md).
    if (store.events().enabled())
        plan.request->events = delivery::bounce_events(env, *plan.request, *policy.bounce_classifier);

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
    return kExitOk;
}

int queue_bounce(const CommandCall& call) {
    auto& [store, extras, operands, options, input, out, err, format] = call;
    const auto domain = options.find("domain");
    if ((domain != options.end()) == !operands.empty())
        return fail(err, kExitUsage, "queue bounce: give a queue ID or --domain DOMAIN (one of them)");
    if (domain != options.end()) return queue_bounce_domain(call, domain->second);
    mail::Envelope env;
    std::string body;
    if (int code = load_queued(store.spool(), operands[0], env, body, err); code != kExitOk) return code;
    const std::string id = env.queue_id;
    size_t bounced = 0;
    if (int code = bounce_message(call, std::move(env), std::move(body), {}, bounced); code != kExitOk) return code;
    return answer(call, fmt::format("bounced {}: {} recipient{}\n", id, bounced, bounced == 1 ? "" : "s"),
                  Json{{"queue_id", id}, {"recipients", bounced}, {"messages", 1}});
}

}  // namespace ringpost::admin::detail
