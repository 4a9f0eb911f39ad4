// `ringpost serve`: the Server owns everything the running process needs,
// and its members are declared in the order of their lifetimes: each is
// built after, and destroyed before, everything declared above it (the
// store first and last; the workers, whose rings refer to everything else,
// last and first). open() does the steps that can fail before any thread
// serves, start() starts the engine, the admin socket and the workers,
// stop() stops them in the order docs/ROBUSTNESS.md ("Shutdown") gives.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "auth/login_throttle.hpp"
#include "auth/smtp_auth.hpp"
#include "admin/admin.hpp"
#include "api/admin_api.hpp"
#include "api/injection_api.hpp"
#include "api/monitoring.hpp"
#include "api/routes.hpp"
#include "config/config.hpp"
#include "delivery/engine.hpp"
#include "http/router.hpp"
#include "http/tokens.hpp"
#include "events/pushers.hpp"
#include "io/blocking_pool.hpp"
#include "server/dkim_filter.hpp"
#include "server/dkim_signing.hpp"
#include "server/egress_pool.hpp"
#include "server/fd_budget.hpp"
#include "server/filter_chain.hpp"
#include "server/greylist.hpp"
#include "server/screen_cache.hpp"
#include "server/milter_filter.hpp"
#include "server/relay_policy.hpp"
#include "server/imap_backend.hpp"
#include "server/live_gauges.hpp"
#include "server/mailbox_hub.hpp"
#include "server/maildrop_locks.hpp"
#include "server/pop3_backend.hpp"
#include "server/rate_limiter.hpp"
#include "server/service_limits.hpp"
#include "server/tls_setup.hpp"
#include "server/worker.hpp"
#include "smtp/inflight_budget.hpp"
#include "store/store.hpp"
#include "util/result.hpp"

namespace ringpost::server {

class Server {
public:
    // Opens and recovers the store, binds every listener and loads the TLS
    // material; nothing serves yet. The error is the one line to log.
    static Result<std::unique_ptr<Server>> open(const config::Config& config, const NofileLimit& nofile);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Starts the delivery engine, the admin socket and the workers; on an
    // error whatever started is stopped again.
    Result<void> start();
    // SIGHUP: re-reads the certificate; sessions keep the one they have.
    Result<void> reload_tls() { return tls_->reload(); }
    // SIGHUP: re-reads [http] tokens_file (a bad file keeps the tokens in use).
    Result<void> reload_http_tokens();
    // Idempotent; the destructor calls it.
    void stop();

private:
    Server(const config::Config& config, const NofileLimit& nofile, std::unique_ptr<store::Store> store,
           std::vector<WorkerListeners> listeners, std::unique_ptr<TlsSetup> tls,
           std::unique_ptr<DkimSigning> dkim, std::shared_ptr<const http::TokenSet> tokens);
    void log_listening() const;

    const config::Config& config_;
    const unsigned threads_;
    std::unique_ptr<store::Store> store_;
    std::vector<WorkerListeners> listeners_;   // handed to the workers by start()
    std::unique_ptr<TlsSetup> tls_;
    // Blocking store reads and password checks of the mailbox front ends
    // (never on a ring); password hashing has its own threads, so a burst
    // of logins does not queue the reads of sessions already in. Both
    // outlive the workers' use of them and run below the rings' priority.
    io::BlockingPool pool_;
    io::BlockingPool login_pool_;
    MaildropLocks maildrop_locks_;
    auth::LoginThrottle throttle_;
    // Change notices between sessions (IMAP, POP3 deletions, local
    // delivery); outlives the workers and the engine.
    MailboxHub hub_;
    StorePop3Backend pop3_backend_;
    StoreImapBackend imap_backend_;
    auth::StoreSmtpAuthenticator smtp_auth_;
    // DKIM signing ([dkim]; all null without keys): the keys, the threads
    // that sign (at the rings' priority: a message's 250 waits for its
    // signature), and the SMTP sessions' filter over both.
    std::unique_ptr<DkimSigning> dkim_;
    std::unique_ptr<io::BlockingPool> sign_pool_;
    std::unique_ptr<DkimFilter> dkim_filter_;
    // The egress pool of each message ([egress]; always: it also removes
    // X-Ringpost-Pool), then DKIM: the filter the SMTP sessions run.
    EgressPools egress_pools_;
    EgressPoolFilter pool_filter_;
    // The milters ([milters]; null without any), between the pool step and
    // DKIM signing; their added recipients are checked by this policy.
    RelayPolicy milter_policy_;
    std::unique_ptr<MilterFilter> milter_filter_;
    FilterChain filters_;
    // Starts before the listeners take mail and stops after them, so that
    // every accepted message is handed over or stays spooled.
    std::unique_ptr<delivery::DeliveryEngine> engine_;
    // Admin commands run one at a time, from the admin socket and the HTTP API.
    std::mutex admin_serial_;
    // Delivery events to webhooks and a file ([events]); stops before the
    // commit stage, which writes its cursors.
    events::EventPushers pushers_;
    admin::AdminServer admin_;
    // The HTTP API ([http]): the tokens (null without a tokens file), the
    // thread that runs its admin commands (one: they take turns anyway, and
    // a long `queue list` never holds up the mailbox front ends' pool),
    // the handlers and the routes the workers serve.
    std::unique_ptr<http::TokenHolder> http_tokens_;
    io::BlockingPool admin_pool_;
    std::unique_ptr<api::AdminApi> admin_api_;
    api::CallerRates http_rates_;   // [http] max_message_rate of each caller
    api::StatusHistory status_history_;   // the status page's charts
    std::unique_ptr<api::MonitoringApi> monitoring_api_;
    api::Services api_services_;     // each worker adds its own injection and routes
    ServiceLimits limits_;
    // [smtp] max_connection_rate_per_ip and max_message_rate_per_ip, per
    // client address over all workers (the listeners that screen).
    RateLimiter connection_rate_;
    RateLimiter message_rate_;
    // Greylisting ([greylist]; null when off): the table all workers
    // share, filled from the store here and saved through its commit stage.
    std::unique_ptr<Greylist> greylist_;
    // The screening's pass cache ([screen] dnsbl_ttl, pregreet_ttl; null
    // when nothing screens or nothing is remembered): filled from the
    // store here and saved through its commit stage, as greylisting's table.
    std::unique_ptr<ScreenCache> screen_cache_;
    // Message bytes held by SMTP and submission sessions, all workers together.
    smtp::InflightBudget inflight_;
    std::vector<std::unique_ptr<Worker>> workers_;
    // Last: unregistered first, before anything they read goes.
    std::vector<metrics::Collector> gauges_;
    bool stopped_ = false;
};

// The `serve` command: Server::open, start, wait for SIGTERM/SIGINT (SIGHUP
// reloads the certificate), stop. Returns the process exit code.
int run_server(const config::Config& config);

}  // namespace ringpost::server
