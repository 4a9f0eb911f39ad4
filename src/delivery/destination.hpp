// One destination domain, over one egress source (egress.hpp; or none),
// on the delivery ring: its queue of jobs and the
// connection workers (coroutines) that empty it. Each worker resolves the
// destination and attaches it to its site (site.hpp: the domains with the
// same MX hosts, or a [shaping.sites] rule's), then, within the site's
// limits -- connections at once across its domains (Postfix's
// default_destination_concurrency_limit, per site), the connection rate --
// connects to the first MX host that answers, runs jobs over that
// connection at the site's message rate (RSET between them, up to
// max_messages_per_connection), waits the idle time for more, and QUITs.
// A destination waiting for its site's limits waits alone, so a slow,
// dead or throttled site only holds up its own queues. STARTTLS follows the
// domain's [delivery.tls] policy, else its site's (tls_policy.hpp).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "delivery/connection_path.hpp"
#include "delivery/engine_impl.hpp"
#include "delivery/targets.hpp"
#include "io/ops.hpp"
#include "io/task.hpp"

namespace ringpost::delivery {

class Destination {
public:
    // `source` (null = none) lives as long as the engine's config.
    Destination(DeliveryEngine::Impl& engine, std::string domain, const EgressSource* source)
        : engine_(engine), domain_(std::move(domain)), key_(destination_key(domain_, source)), source_(source),
          tls_policy_(engine.config.tls.lookup(domain_)) {}
    ~Destination();

    void enqueue(Job job);
    // Engine stopping: queued jobs end without an attempt, idle workers quit.
    void shut_down();
    // No job queued and no worker left: the engine may forget it.
    bool retired() const { return workers_ == 0 && queue_.empty(); }
    const std::string& domain() const { return domain_; }
    // Its key in the engine's map (destination_key).
    const std::string& key() const { return key_; }
    // That host's name (the name a "verify" certificate must match).
    const std::string& preferred_host() const { return preferred_host_; }
    // [delivery.tls] policy of this domain (or its site's).
    TlsPolicy tls_policy() const { return tls_policy_; }
    // Null until the first worker has resolved the domain.
    const Site* site() const { return site_; }
    // The suspension that holds this domain's mail now, if any.
    std::optional<Held> held();
    bool has_jobs() const { return !queue_.empty(); }
    // Jobs queued (messages waiting for a transaction) and the received_at
    // of the oldest of their messages (0 when none).
    std::pair<uint64_t, int64_t> waiting() const;
    // Hands a queued job to a connection of another destination whose
    // path (address, port, TLS policy: ConnectionPath) is this
    // destination's path to its preferred host (connection sharing).
    Job take_job();

private:
    io::Task<void> worker();
    // The worker's steps: a connection to the first target that answers
    // (false: none, or the worker is to end; with none, the queue fails
    // when no other connection serves it), then jobs over it until it is
    // unusable or has carried its share, and QUIT.
    io::Task<bool> open_connection(const std::vector<Target>& list, std::unique_ptr<ClientConnection>& conn,
                                   const Target*& target);
    io::Task<void> serve_connection(ClientConnection& conn, const Target& target);
    // Every queued job ends with `d` for each of its recipients.
    void fail_queue(const Diagnostic& d);
    // The next job for the connection over `path`: one of ours, else one
    // of another destination whose preferred path is the same (many
    // domains, one MX host: Postfix likewise reuses connections by
    // endpoint, address, port and TLS properties); else wait up to
    // idle_timeout. Empty if none came, the engine is stopping, or another
    // destination waits for a slot of that host.
    io::Task<std::optional<Job>> next_job(const ConnectionPath& path, const TlsState& tls);
    std::optional<Job> take_any(const std::string& path_key, const TlsState& tls);
    // Connects to `t` under this domain's TLS policy; a failed handshake
    // under "may" is retried once on the same host in plain text.
    io::Task<Result<std::unique_ptr<ClientConnection>>> connect(const Target& t);
    void set_preferred(const Target& target);
    void wake_one();
    void attach_site(const std::vector<Target>& targets);
    // Every queued job ended by a suspension (no attempt).
    void hold_queue(const Held& held);
    // The path of a connection to `target` (from our source).
    ConnectionPath path_for(const Target& target) const;
    // The limits in force: the site's, or the defaults before it is known.
    const SiteLimits& limits() const { return site_ ? site_->limits() : engine_.config.shaping.defaults; }

    DeliveryEngine::Impl& engine_;
    const std::string domain_;
    const std::string key_;
    const EgressSource* const source_;
    TlsPolicy tls_policy_;
    Site* site_ = nullptr;
    std::deque<Job> queue_;
    uint32_t workers_ = 0;     // worker coroutines alive
    uint32_t connected_ = 0;   // of which hold a connection
    uint32_t connecting_ = 0;  // of which are waiting for a site slot or connecting
    // The workers' coroutine frames: when the engine stops with a transaction
    // still in flight it leaks this Destination on purpose, and through it
    // the frames stay reachable (LeakSanitizer then reports no leak).
    std::vector<void*> frames_;
    std::vector<io::CancelSlot*> idle_;   // workers waiting for a job
    ConnectionPath preferred_;            // the path to the most preferred host
    std::string preferred_key_;           // its key, registered in the engine's by_path index; "" = none
    std::string preferred_host_;
};

}  // namespace ringpost::delivery
