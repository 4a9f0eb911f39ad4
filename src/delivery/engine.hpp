// The delivery engine: takes spooled messages that are due, delivers each
// recipient (local ones into their mailbox, remote ones over SMTP to the
// domain's MX hosts), and writes every outcome durably through the commit
// stage (plan_outcome -> store::OutcomeRequest: one synced batch for many).
//
// Threads:
//  * one delivery thread with its own io_uring (like a worker): DNS through
//    c-ares on the ring, outbound SMTP connections, per-destination queues;
//  * one feeder thread that does the blocking spool scans (Spool::load_due)
//    for retries, flushes and messages left from before a restart.
// Freshly accepted messages skip the scan: the SMTP side hands them over
// in memory once they are durable (handoff()), which is the hot path.
//
// A message is "claimed" (in memory, being delivered) by exactly one of the
// two paths; the claim ends once its outcome is durable. A crash between
// a remote server's 250 and that write re-delivers that transaction on
// restart (SMTP's at-least-once), never loses it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "delivery/bounce_classifier.hpp"
#include "delivery/client_connection.hpp"
#include "delivery/egress.hpp"
#include "delivery/retry.hpp"
#include "delivery/route.hpp"
#include "delivery/automation.hpp"
#include "delivery/shaping.hpp"
#include "delivery/suspensions.hpp"
#include "delivery/tls_policy.hpp"
#include "dns/dns_types.hpp"
#include "mail/envelope.hpp"

namespace ringpost::store {
class CommitStage;
class Spool;
}

namespace ringpost::delivery {

struct EngineConfig {
    std::string hostname = "localhost";      // EHLO name, Reporting-MTA, MX loop check
    dns::ResolverOptions resolver;
    uint16_t remote_port = 25;
    std::map<std::string, Route, std::less<>> routes;   // lower-cased domain -> next hop
    RetrySchedule retry;
    std::chrono::seconds max_queue_lifetime = kDefaultMaxQueueLifetime;
    std::chrono::seconds delay_warning{0};
    size_t max_hops = 100;
    uint32_t max_connections_per_host = 50;  // per remote IP, over all destinations
    // Destination sites and their limits (shaping.hpp): connections at
    // once, messages per connection and idle time (shaping.defaults; from
    // [delivery]), rates, and the [shaping.sites] rules.
    ShapingConfig shaping;
    // Rules on remote replies that suspend or slow down a site, or fail
    // the recipients (automation.hpp); empty = none.
    Automation automation;
    // Egress sources and pools (egress.hpp): the address and EHLO name a
    // message's connections use. Limits hold per (source, site).
    EgressConfig egress;
    ClientTimeouts timeouts;                 // connect_timeout goes into timeouts.connect
    // [delivery.tls]: STARTTLS policy per destination domain, and the CA
    // bundle for "verify" ("" = the system trust store). start() builds
    // the TLS client context from it.
    TlsPolicyMap tls;
    std::string tls_ca_file;
    // Classifies deferrals and failures for the log and DSNs; never null.
    // The config layer builds it from the rules files; this default has no
    // rules (enhanced status codes only).
    std::shared_ptr<const BounceClassifier> bounce_classifier = std::make_shared<const BounceClassifier>();
    size_t max_messages_in_memory = 20000;   // claimed messages (bodies held in memory)
    size_t max_bytes_in_memory = 512u << 20;
    std::chrono::seconds shutdown_grace{10}; // transactions in flight may finish within this
    // Whether an address belongs to a local domain (DSNs to local senders
    // go to their mailbox).
    std::function<bool(std::string_view address)> is_local;
    // Called on the commit thread, once the outcome is durable, for each
    // recipient delivered into a local mailbox ("INBOX", or the user's junk
    // mailbox), so that IMAP sessions hear of it.
    std::function<void(const std::string& user, const std::string& mailbox)> on_local_delivery;
    // The event log is on (store::EventLog::enabled): outcomes carry their
    // delivery events, automation submits its site events.
    bool events = false;
};

struct EngineStats {
    uint64_t messages_done = 0;     // outcomes written
    uint64_t delivered = 0, deferred = 0, failed = 0;
    uint64_t connections = 0;       // outbound SMTP connections opened
    uint64_t transactions = 0;
    uint64_t in_memory = 0;         // messages claimed right now
};

// What the engine holds in memory right now (the metrics' queue gauges):
// no spool scan. Mail deferred to a later retry is in the spool only.
struct QueueSnapshot {
    struct Entry {
        std::string name;       // a site's name or a domain
        uint64_t waiting = 0;   // messages queued for it, not yet in a transaction
        int64_t oldest = 0;     // received_at of the oldest of them (unix seconds)
    };
    uint64_t in_memory = 0;     // messages claimed: waiting or being delivered
    uint64_t waiting = 0;       // queued in destinations, over all domains
    int64_t oldest = 0;         // received_at of the oldest waiting; 0 = none
    std::vector<Entry> sites;   // the top N by waiting, most first
    std::vector<Entry> domains;
    bool answered = false;      // false: the engine is not running or did not answer in time
};

struct OutcomePolicy;
// The rules for outcomes and notifications that follow from `config` (used
// by the engine, and by `ringpost queue bounce`).
OutcomePolicy outcome_policy(const EngineConfig& config);

class DeliveryEngine {
public:
    // Scans `spool` for due messages (the feeder) and writes outcomes
    // through `commit`, the same store's commit stage.
    DeliveryEngine(store::Spool& spool, store::CommitStage& commit, EngineConfig config);
    ~DeliveryEngine();   // stop()s
    DeliveryEngine(const DeliveryEngine&) = delete;
    DeliveryEngine& operator=(const DeliveryEngine&) = delete;

    // Starts the delivery and feeder threads. Errors: the TLS client
    // context (ca_file), the ring or the DNS resolver could not be set up.
    Result<void> start();
    // Stops loading, lets transactions in flight finish (shutdown_grace),
    // writes their outcomes, closes connections. Call before the commit
    // stage stops. Idempotent.
    void stop();
    // The first half of stop(), without waiting: stop loading and start the
    // grace period now (the server does this while its sessions drain, so
    // both graces run at once). New handoffs are refused from here on.
    void begin_stop();

    // Any thread (the commit thread, right after the message is durable):
    // deliver this message now. Returns false -- and the message simply
    // waits in the spool for the feeder -- when the engine is full,
    // stopping, or the message is already claimed; a held message (a
    // milter's quarantine) is never taken: it waits for `queue release`.
    bool handoff(mail::Envelope envelope, std::string body);
    // Any thread: a schedule entry at `due` was written by someone else than
    // the engine (an accept that was not handed off, `queue flush`).
    void scheduled(int64_t due);

    // Any thread: mail to `target` (a destination domain or a site name,
    // site.hpp) is held until `until` (unix seconds; 0 = until resumed):
    // `queue suspend` (after it is durable; start() loads the durable ones)
    // and shaping automation. Queued and later jobs are held, connections
    // in use finish their transaction and close.
    void suspend(std::string target, int64_t until, std::string reason);
    // Any thread, blocking up to a second: ends the running engine's
    // suspension of `target` (a durable one or an automatic one); whether
    // it held one.
    bool resume(std::string target);
    // Any thread, blocking up to a second: the site of each destination
    // domain the engine has resolved and still holds (`queue summary`).
    std::map<std::string, std::string> domain_sites() const;
    // Any thread, blocking up to a second: the suspensions the engine
    // applies now, the automatic ones (shaping automation) among them.
    std::vector<Held> suspensions_in_force() const;
    // Any thread, blocking up to a second: the waiting mail per site and
    // per domain (the `top_n` of each with the most), read on the ring.
    QueueSnapshot queue_snapshot(size_t top_n) const;

    EngineStats stats() const;

    struct Impl;
private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace ringpost::delivery
