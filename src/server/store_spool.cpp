#include "server/store_spool.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "delivery/engine.hpp"
#include "store/commit_stage.hpp"
#include "store/store_metrics.hpp"
#include "util/log.hpp"

namespace ringpost::server {
namespace {

// One line per message on disk, with what the filters found (spf=pass).
void log_accepted(const mail::Envelope& env, const std::vector<std::pair<std::string, std::string>>& checks) {
    std::string to;
    size_t local = 0;
    for (const auto& r : env.recipients) {
        if (!to.empty()) to += ',';
        to += r.address;
        local += r.local ? 1 : 0;
    }
    const std::string from = env.sender.empty() ? std::string("<>") : env.sender;
    std::vector<log::Field> fields{{"qid", env.queue_id},
                                   {"from", from},
                                   {"to", to},
                                   {"rcpts", env.recipients.size()},
                                   {"local", local},
                                   {"size", env.body_size},
                                   {"client", env.client_ip},
                                   {"proto", env.protocol}};
    for (const auto& [key, value] : checks) fields.push_back({key, value});
    log::event(log::Level::kInfo, "accepted", fields);
}

}  // namespace

void StoreSpool::commit(smtp::AcceptedMessage message, std::function<void(const Result<void>&)> done) {
    auto req = std::make_unique<store::AcceptRequest>();
    req->envelope = std::move(message.envelope);
    for (auto& r : req->envelope.recipients)
        if (r.local && r.address.find('@') == std::string::npos) r.address += "@" + primary_domain_;
    req->data = std::move(message.data);
    store::AcceptRequest* raw = req.get();
    // Runs on the commit thread, after the synced write: the log line says
    // "accepted" only for mail that is really on disk.
    req->on_done = [raw, engine = engine_, done = std::move(done),
                    checks = std::move(message.log_fields)](const Result<void>& result) {
        auto& env = raw->envelope;
        if (result.ok()) {
            log_accepted(env, checks);
            if (env.held) {
                // Spooled on hold, in the same write as the 250 (accept.cpp).
                store::hold_metrics().held_by_milter.inc();
                log::info("held", {{"qid", env.queue_id}, {"source", "milter"}, {"milter", env.hold_milter},
                                   {"reason", env.hold_reason}});
            }
        } else {
            log::error("commit_failed", {{"qid", env.queue_id}, {"error", result.error().message}});
        }
        done(result);
        // The request is freed after this callback: its bytes move on to
        // the engine instead of being read back from the spool. A held
        // message is not delivered until `queue release`.
        if (result.ok() && engine && !env.held) engine->handoff(std::move(env), std::move(raw->data));
    };
    stage_.submit(std::move(req));
}

}  // namespace ringpost::server
