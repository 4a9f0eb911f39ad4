// `queue hold` and `queue release`: Postfix's `postsuper -h` and `-H`.
// A held message stays in the spool, with no schedule entry: the delivery
// engine never loads it (local recipients wait too), no attempt or retry
// is counted, and it does not expire while held; `queue flush` leaves it
// alone. Release makes it due now (and a running engine is told), after
// which the queue lifetime applies again, counted from its arrival. The
// store does the work in one synced write each (store/spool_hold.cpp).
//
// Which messages: queue IDs, or --all, or (hold) --domain DOMAIN: one of
// them. A message a running engine holds in memory at that moment finishes
// that attempt; whatever it leaves pending stays held.
#include <fmt/core.h>

#include "admin/admin.hpp"
#include "admin/command_table.hpp"
#include "admin/commands.hpp"
#include "admin/json_output.hpp"
#include "delivery/engine.hpp"
#include "store/store.hpp"
#include "util/ascii.hpp"

namespace ringpost::admin::detail {
namespace {

// The targets the operands and options name; false (with the exit code in
// `code`) for none, or for more than one way of naming them: a usage error.
bool targets_of(const CommandCall& call, std::string_view command, std::vector<store::HoldTarget>& targets, int& code) {
    const auto domain = call.options.find("domain");
    const bool all = call.options.count("all") > 0;
    const int ways = (call.operands.empty() ? 0 : 1) + (all ? 1 : 0) + (domain != call.options.end() ? 1 : 0);
    if (ways != 1) {
        code = usage(call.err, synopsis(*find_command({"queue", std::string(command)})));
        return false;
    }
    if (all) {
        targets.push_back({});
    } else if (domain != call.options.end()) {
        const std::string d = util::ascii_lower(domain->second);
        targets.push_back({"", [d](const mail::Envelope& env) {
                               for (const auto& r : env.recipients)
                                   if (pending_in_domain(r, d)) return true;
                               return false;
                           }});
    } else {
        for (const std::string& arg : call.operands) {
            std::string id;
            if (!parse_queue_id(arg, id, call.err, code)) return false;
            auto env = call.store.spool().get_envelope(id);
            if (!env || !*env) {
                code = !env ? store_fail(call.err, env.error()) : fail(call.err, kExitFailure, "no such queue ID: " + id);
                return false;
            }
            targets.push_back({id, {}});
        }
    }
    return true;
}

int change_hold(const CommandCall& call, bool hold) {
    auto& [store, extras, operands, options, input, out, err, format] = call;
    std::vector<store::HoldTarget> targets;
    int code = kExitOk;
    if (!targets_of(call, hold ? "hold" : "release", targets, code)) return code;
    const auto reason = options.find("reason");
    const std::string why = reason == options.end() ? std::string() : reason->second;
    const int64_t now = unix_now();
    std::vector<std::string> changed;
    std::string text;
    const char* verb = hold ? "held" : "released";
    for (const store::HoldTarget& t : targets) {
        auto done = hold ? store.spool().hold(t, why) : store.spool().release(t, now);
        if (!done) return store_fail(err, done.error());
        if (!t.queue_id.empty() && done->empty())
            text += fmt::format("{}: {}\n", t.queue_id, hold ? "held already" : "not held");
        for (const std::string& qid : *done) text += fmt::format("{} {}\n", verb, qid);
        changed.insert(changed.end(), done->begin(), done->end());
    }
    // Released mail is due now: a running engine looks at once.
    if (!hold && !changed.empty() && extras.engine) extras.engine->scheduled(now);
    text += fmt::format("-- {} {} message{}\n", verb, changed.size(), changed.size() == 1 ? "" : "s");
    Json doc{{verb, changed}, {"messages", changed.size()}};
    if (hold) doc["reason"] = text_or_null(why);
    return answer(call, text, doc);
}

}  // namespace

int queue_hold(const CommandCall& call) { return change_hold(call, true); }
int queue_release(const CommandCall& call) { return change_hold(call, false); }

}  // namespace ringpost::admin::detail
