// DeliveryEngine's insides, shared by engine.cpp (threads, claims, the
// message lifecycle), engine_feeder.cpp (the spool scans) and
// destination.cpp (per-domain queues and outbound connections).
// Internal to src/delivery.
#pragma once

#include <condition_variable>
#include <coroutine>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "delivery/delivery_metrics.hpp"
#include "delivery/egress.hpp"
#include "delivery/engine.hpp"
#include "delivery/outcome.hpp"
#include "delivery/site.hpp"
#include "delivery/suspensions.hpp"
#include "delivery/targets.hpp"
#include "dns/resolver.hpp"
#include "io/ops.hpp"
#include "io/ring.hpp"

namespace ringpost::store {
struct DueMessage;
}

namespace ringpost::delivery {

class Destination;

// Connections per remote IP address across all destinations (many domains
// often share one MX host): at most `limit` at a time; the others wait, in
// order. Ring thread only.
class HostSlots {
public:
    struct Waiter {
        std::coroutine_handle<> handle;
        bool granted = false;
    };
    struct Acquire {
        HostSlots& slots;
        std::string ip;
        Waiter waiter;
        bool await_ready();
        void await_suspend(std::coroutine_handle<> h);
        bool await_resume() const { return waiter.granted; }   // false: shutting down
    };
    explicit HostSlots(uint32_t limit) : limit_(limit) {}
    // co_await acquire(ip): true once a connection to ip may be opened.
    Acquire acquire(std::string ip) { return Acquire{*this, std::move(ip), {}}; }
    void release(const std::string& ip);
    // Every waiter resumes with false.
    void shut_down();
    uint32_t active(const std::string& ip) const;
    bool has_waiters(const std::string& ip) const;
    // Wakes one connection to ip whose path (ConnectionPath::key) is `path`
    // and that idles waiting for work; false if none.
    bool wake_idle(const std::string& ip, const std::string& path);
    // A connection to ip over `path` that sits idle waiting for more mail of
    // its own destination: when another destination needs a slot of this
    // host, the idle one is woken (cancelled) to give its connection up;
    // when a destination with the same path has mail, it is woken to take it.
    void add_idle(const std::string& ip, const std::string& path, io::CancelSlot* idle);
    void remove_idle(const std::string& ip, io::CancelSlot* idle);

private:
    struct Idle {
        std::string path;
        io::CancelSlot* slot;
    };
    struct Host {
        uint32_t active = 0;
        std::deque<Waiter*> waiters;
        std::vector<Idle> idle;
    };
    uint32_t limit_;
    bool closed_ = false;
    std::unordered_map<std::string, Host> hosts_;
};

// One claimed message while it is being delivered (ring thread only).
struct InFlight {
    mail::Envelope envelope;
    std::shared_ptr<const std::string> body;
    std::vector<RecipientResult> results;
    std::vector<std::string> relays;   // per recipient: "host[ip]:port" or "local" (for the log)
    std::vector<std::string> sites;    // per recipient: the site tried, "local", or "none" (for the counters)
    size_t open_jobs = 0;
    int64_t started = 0;   // unix seconds, for the log's delay
    // The egress source of this attempt (into the engine's config); null = none.
    const EgressSource* source = nullptr;
};

// One recipient's "delivery" log line, written once its outcome is durable.
struct DeliveryLogLine {
    std::string rcpt, result, relay, dsn, reply;
    std::string bounce_class;      // deferred and failed only
    std::string source;            // the egress source's name; "" = none
    std::string site;              // InFlight::sites
    uint32_t attempts = 0;
    std::optional<TlsState> tls;   // set when a server was reached
    size_t index = 0;              // of the recipient in the envelope
};

// What finish() hands to the outcome's on_done: the log, the schedule.
struct PendingOutcome {
    std::shared_ptr<InFlight> message;
    store::OutcomeRequest* request = nullptr;   // owned by the commit stage until on_done
    std::vector<DeliveryLogLine> lines;
    bool still_pending = false;                 // recipients left for a later attempt
    int64_t next = 0;                           // their due time
    int64_t old_due = 0;                        // the due time if the write fails
    int64_t delay = 0;                          // seconds since the message arrived
    size_t bytes = 0;                           // the claim's size
};

// Some recipients (one domain) of one message: one SMTP transaction.
struct Job {
    std::shared_ptr<InFlight> message;
    std::vector<size_t> recipients;   // indices into message->envelope.recipients
};

struct DeliveryEngine::Impl {
    Impl(store::Spool& spool, store::CommitStage& commit, EngineConfig config);

    store::Spool& spool;            // the feeder's due scans
    store::CommitStage& commit;     // outcomes
    const EngineConfig config;
    OutcomePolicy policy;
    ClientOptions client_options;   // client_options.tls_context: set by start()

    // --- claims: any thread, under claims_mu ---
    std::mutex claims_mu;
    std::unordered_set<std::string> claimed;   // queue IDs in memory
    size_t claimed_bytes = 0;
    size_t outstanding_writes = 0;             // outcomes submitted, not yet durable
    std::condition_variable writes_cv;
    // Claim a message for delivery; false if it already is claimed or the
    // engine is full or stopping.
    bool try_claim(const std::string& queue_id, size_t bytes);
    void release(const std::string& queue_id, size_t bytes);
    bool is_claimed(std::string_view queue_id);

    // --- feeder (engine_feeder.cpp) ---
    std::mutex feed_mu;
    std::condition_variable feed_cv;
    bool feed_stop = false;      // guarded by feed_mu
    int64_t floor = 0;           // scans start at this due time (guarded by feed_mu)
    int64_t wake_at = 0;         // the earliest known future due time, 0 = none (feed_mu)
    bool rescan = true;          // something changed below `now` (feed_mu)
    std::thread feeder;
    void feeder_main();
    // The feeder's steps. wait_for_due: sleeps (feed_mu held) until a scan
    // is due; false when the feeder is to stop. scan_due: one scan from
    // `from`, without feed_mu, claiming what it loads for the ring; the
    // answer says where the next scan starts and when to wake.
    struct FeedScan {
        int64_t now = 0;        // the scan's "now"
        int64_t resume = 0;     // the next scan starts here (at most)
        int64_t wake_at = 0;    // the next future due time it saw, 0 = none
        bool rescan = false;    // scan again at once (the engine was full)
    };
    bool wait_for_due(std::unique_lock<std::mutex>& lock);
    FeedScan scan_due(int64_t from);
    std::vector<std::shared_ptr<InFlight>> claim_loaded(std::vector<store::DueMessage>& messages);
    void hand_to_ring(std::vector<std::shared_ptr<InFlight>> batch);
    // A schedule entry at `due` exists now (any thread).
    void note_scheduled(int64_t due);

    // --- the delivery thread and its ring ---
    std::thread thread;
    io::Ring* ring = nullptr;                  // set while the thread runs
    std::unique_ptr<dns::Resolver> resolver;   // ring thread only
    std::atomic<bool> stopping{false};
    bool ring_started_ok = false;
    std::mutex start_mu;
    std::condition_variable start_cv;
    bool start_done = false;
    std::string start_error;
    void thread_main();

    // Ring thread only.
    // Destinations by destination_key(domain, source): one per domain and
    // egress source, so that connections never mix sources.
    std::unordered_map<std::string, std::unique_ptr<Destination>> destinations;
    // Each message's source, picked from its pool at each attempt.
    SourceChooser source_chooser;
    const EgressSource* choose_source(const mail::Envelope& envelope);
    // Destination sites (shaping.hpp, site.hpp) by key; a destination
    // attaches to its site once its targets are resolved. With a source,
    // the key is "SOURCE/SITE": the same limits, counted per (source, site).
    SiteMatcher site_matcher;
    std::unordered_map<std::string, std::unique_ptr<Site>> sites;
    // The site each domain was last grouped into, kept after its
    // destination is gone (a deferred domain's mail waits in the spool), so
    // `queue summary` can name it. Bounded: cleared past kKnownSitesMax.
    std::unordered_map<std::string, std::string> known_sites;
    static constexpr size_t kKnownSitesMax = 100000;
    Site& site_for(const std::string& domain, const std::vector<Target>& targets, const EgressSource* source);
    void site_detached(Site& site);
    // Ring thread; start() fills it before the ring runs.
    Suspensions suspensions;
    // Ends `job` without an attempt: each recipient held by `held`.
    void hold(Job& job, const Held& held);
    // Shaping automation on a transaction's results (a "fail" rule turns
    // the deferrals it matches into failures) and on a connection's
    // refusal; suspend/throttle act on `site` once per call.
    void automate(Site& site, std::vector<RecipientResult>& results);
    void automate(Site& site, const Diagnostic& refusal);
    // Applies `rule`, matched by `reply`, to `site`.
    void act(Site& site, const AutomationRuleSpec& rule, const Diagnostic& reply);
    HostSlots host_slots;
    // Destinations by the path (ConnectionPath::key: address, port, TLS
    // policy...) to their most preferred host: where an idle connection
    // looks for work of other domains.
    std::unordered_map<std::string, std::vector<Destination*>> by_path;
    // A destination other than `except` with queued jobs whose preferred
    // path is `path` and whose TLS policy the connection `tls` satisfies.
    Destination* donor_for(const std::string& path, const Destination* except, const TlsState& tls);
    void begin(std::shared_ptr<InFlight> message);
    // `site`: the site the job's destination is attached to (null: none yet).
    void job_done(Job& job, std::vector<RecipientResult> results, const std::string& relay,
                  const Site* site = nullptr);
    void finish(std::shared_ptr<InFlight> message);
    // The outcome's on_done (commit thread): log, count, release, reschedule.
    void outcome_written(const PendingOutcome& pending, const Result<void>& result);
    void count_result(const std::string& result);
    // DSNs the outcome spooled go out at once, through handoff().
    void deliver_notifications(const std::string& qid, store::OutcomeRequest& request);
    // DeliveryEngine::handoff (any thread).
    bool handoff(mail::Envelope envelope, std::string body);
    // Forgets the destination of this key once it is retired.
    void retire_destination(const std::string& key);
    void shutdown_on_ring();   // stop: drop queued jobs, let transactions end
    io::Task<void> drain();
    bool drained = false;      // drain() saw every worker end: safe to destroy the ring

    // Commit thread only (outcome_written): ringpost_deliveries_total and
    // ringpost_dsn_generated_total.
    DeliveryCounters counters;
    // Stats (atomics: read from any thread).
    std::atomic<uint64_t> messages_done{0}, delivered{0}, deferred{0}, failed{0};
    std::atomic<uint64_t> connections{0}, transactions{0};
};

// Lower-cased domain of an address ("" if it has no '@').
std::string domain_of(std::string_view address);
// The engine's key of the destination of `domain` over `source`: the
// domain alone without a source, else "domain|source".
std::string destination_key(const std::string& domain, const EgressSource* source);

}  // namespace ringpost::delivery
