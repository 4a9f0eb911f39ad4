#include "server/server.hpp"

#include <signal.h>
#include <unistd.h>

#include <memory>
#include <thread>
#include <vector>

#include "admin/admin.hpp"
#include "server/connection_limiter.hpp"
#include "config/engine_config.hpp"
#include "server/fd_budget.hpp"
#include "auth/login_throttle.hpp"
#include "server/imap_backend.hpp"   // IMAP front end
#include "server/mailbox_hub.hpp"
#include "server/maildrop_locks.hpp"
#include "server/pop3_backend.hpp"
#include "auth/smtp_auth.hpp"
#include "server/tls_setup.hpp"
#include "io/blocking_pool.hpp"
#include "server/worker.hpp"
#include "smtp/inflight_budget.hpp"
#include "store/commit_stage.hpp"
#include "store/keys.hpp"
#include "store/store.hpp"
#include "util/log.hpp"

namespace ringpost::server {
namespace {

unsigned worker_count(const config::Config& config) {
    if (config.threads > 0) return config.threads;
    unsigned n = std::thread::hardware_concurrency();
    return n ? n : 1;
}

std::string join(const std::vector<config::ListenAddress>& v) {
    std::string s;
    for (const auto& a : v) {
        if (!s.empty()) s += ',';
        s += a.text;
    }
    return s;
}

}  // namespace

int run_server(const config::Config& config) {
    log::Level level;
    if (log::parse_level(config.log.level, level)) log::set_level(level);

    // Signals are taken synchronously by this (main) thread with sigwait;
    // every thread started below inherits the blocked mask. SIGPIPE is
    // ignored: sends use MSG_NOSIGNAL, the admin socket may not.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    // Before anything opens files: the store, too, lives within the limit.
    const NofileLimit nofile = raise_nofile_limit();
    if (!nofile.error.empty())
        log::warn("fd_limit_not_raised", {{"soft", nofile.soft}, {"hard", nofile.hard}, {"error", nofile.error}});

    store::StoreOptions store_options{config.data_dir};
    store_options.min_free_space = config.store.min_free_space;
    auto opened = store::Store::open(store_options);
    if (!opened) {
        log::error("startup_failed", {{"error", opened.error().message}});
        return 1;
    }
    std::unique_ptr<store::Store> store = std::move(opened).value();
    if (auto r = store->recover(); !r) {
        log::error("startup_failed", {{"error", r.error().message}});
        return 1;
    }

    const unsigned threads = worker_count(config);
    // One listener per worker per address, all with SO_REUSEPORT: the
    // kernel balances new connections across the rings.
    std::vector<WorkerListeners> listeners(threads);
    auto bind_all = [&](const std::vector<config::ListenAddress>& addresses, auto member) {
        for (const auto& addr : addresses) {
            auto group = io::listen_tcp_group(addr.host, addr.port, threads);
            if (!group) {
                log::error("startup_failed", {{"error", group.error().message}});
                return false;
            }
            for (unsigned i = 0; i < threads; ++i) (listeners[i].*member).push_back(std::move(group.value()[i]));
        }
        return true;
    };
    if (!bind_all(config.smtp.listen, &WorkerListeners::smtp)) return 1;
    if (!bind_all(config.pop3.listen, &WorkerListeners::pop3)) return 1;
    if (!bind_all(config.imap.listen, &WorkerListeners::imap)) return 1;   // IMAP front end
    if (!bind_all(config.submission.listen, &WorkerListeners::submission)) return 1;
    if (!bind_all(config.smtps.listen, &WorkerListeners::smtps)) return 1;
    if (!bind_all(config.pop3s.listen, &WorkerListeners::pop3s)) return 1;
    if (!bind_all(config.imaps.listen, &WorkerListeners::imaps)) return 1;

    // The server certificate (generated self-signed on first start when
    // none is configured); SIGHUP reloads it, sessions keep theirs.
    auto tls_setup = TlsSetup::create(config);
    if (!tls_setup) {
        log::error("startup_failed", {{"error", "TLS: " + tls_setup.error().message}});
        return 1;
    }

    // Blocking store reads and password checks of the mailbox front ends
    // run on these, never on a ring; password hashing (yescrypt, ~15 ms of
    // CPU each) has its own threads, so a burst of logins does not queue the
    // reads of sessions already in. Declared before the workers: they must
    // outlive their rings' use of them, and stop after them. One user's
    // store calls run one at a time (StoreImapBackend's fairness key), so
    // a user with many sessions cannot occupy every thread.
    // Both run at a lower priority than the rings (`pool_nice`).
    io::BlockingPool::Options store_pool_options;
    store_pool_options.max_running_per_key = 1;
    store_pool_options.nice = static_cast<int>(config.pool_nice);
    io::BlockingPool pool(store_pool_options);
    io::BlockingPool::Options login_pool_options;
    login_pool_options.nice = static_cast<int>(config.pool_nice);
    io::BlockingPool login_pool(login_pool_options);
    MaildropLocks maildrop_locks;
    auth::LoginThrottle throttle;
    // Change notices between sessions (IMAP, POP3 deletions, local
    // delivery) go through the hub; it outlives the workers and the engine.
    MailboxHub hub;
    StorePop3Backend pop3_backend(*store, pool, login_pool, maildrop_locks, throttle, &hub);
    StoreImapBackend imap_backend(*store, pool, login_pool, throttle, hub);
    auth::StoreSmtpAuthenticator smtp_auth(*store, login_pool, throttle);

    // The delivery engine starts before the listeners take mail, and stops
    // after them, so that every accepted message is handed over or spooled.
    std::unique_ptr<delivery::DeliveryEngine> engine;
    try {
        auto econfig = config::engine_config(config);
        // IMAP front end: sessions with INBOX selected hear of local deliveries.
        econfig.on_local_delivery = [&hub](const std::string& user) {
            hub.publish(store::keys::lower_address(user), "INBOX");
        };
        engine = std::make_unique<delivery::DeliveryEngine>(*store, std::move(econfig));
    } catch (const config::ConfigError& e) {
        log::error("startup_failed", {{"error", e.what()}});
        return 1;
    }
    if (auto r = engine->start(); !r) {
        log::error("startup_failed", {{"error", r.error().message}});
        return 1;
    }

    admin::AdminServer admin;
    if (auto r = admin.start(*store, config.admin_socket, admin::AdminExtras{&config, engine.get()}); !r) {
        log::error("startup_failed", {{"error", r.error().message}});
        return 1;
    }

    // Each service has its own limits; together they stay below the
    // descriptor limit, less a reserve (fd_budget.hpp).
    const unsigned listen_addresses = static_cast<unsigned>(
        config.smtp.listen.size() + config.submission.listen.size() + config.smtps.listen.size() +
        config.pop3.listen.size() + config.pop3s.listen.size() + config.imap.listen.size() + config.imaps.listen.size());
    const uint64_t reserve = fd_reserve(nofile.soft, threads, listen_addresses);
    const uint64_t connections = nofile.soft - reserve;
    // A service without listeners takes no share.
    auto wanted = [](uint32_t max, bool listens) { return listens ? max : 0u; };
    std::vector<ServiceShare> shares = {
        {"smtp", wanted(config.smtp.max_connections, !config.smtp.listen.empty()), 0},
        {"submission", wanted(config.submission.max_connections,
                              !config.submission.listen.empty() || !config.smtps.listen.empty()), 0},
        {"pop3", wanted(config.pop3.max_connections, !config.pop3.listen.empty() || !config.pop3s.listen.empty()), 0},
        {"imap", wanted(config.imap.max_connections, !config.imap.listen.empty() || !config.imaps.listen.empty()), 0},
    };
    const bool clamped = share_connections(connections, shares);
    log::event(clamped ? log::Level::kWarn : log::Level::kInfo, "fd_limit",
               {{"nofile", nofile.soft}, {"was", nofile.soft_before}, {"hard", nofile.hard}, {"reserve", reserve},
                {"connections", connections}, {"clamped", clamped ? "yes" : "no"},
                {"smtp", shares[0].granted}, {"submission", shares[1].granted},
                {"pop3", shares[2].granted}, {"imap", shares[3].granted}});
    ConnectionLimiter smtp_limiter(shares[0].granted, config.smtp.max_connections_per_ip);
    ConnectionLimiter submission_limiter(shares[1].granted, config.submission.max_connections_per_ip);
    ConnectionLimiter pop3_limiter(shares[2].granted, config.pop3.max_connections_per_ip);
    ConnectionLimiter imap_limiter(shares[3].granted, config.imap.max_connections_per_ip);
    const ServiceLimiters limiters{&smtp_limiter, &submission_limiter, &pop3_limiter, &imap_limiter};
    // Message bytes held by SMTP and submission sessions, all workers together.
    static_assert(config::kMinInflightShare == smtp::InflightBudget::kChunk, "the smallest share is one chunk");
    smtp::InflightBudget inflight(config.smtp.max_inflight_bytes, config.smtp.max_inflight_bytes_per_ip);
    log::info("inflight_budget", {{"max", config.smtp.max_inflight_bytes}, {"max_per_ip", config.smtp.max_inflight_bytes_per_ip}});
    std::vector<std::unique_ptr<Worker>> workers;
    for (unsigned i = 0; i < threads; ++i) {
        workers.push_back(std::make_unique<Worker>(i, config, *store, WorkerServices{engine.get(), &pop3_backend, &imap_backend, &(*tls_setup)->holder(), &smtp_auth, &inflight},
                                                   limiters, std::move(listeners[i])));
        if (!workers.back()->start()) {
            for (auto& w : workers) w->request_shutdown();
            for (auto& w : workers) w->join();
            admin.stop();
            return 1;
        }
    }
    log::info("listening", {{"smtp", join(config.smtp.listen)},
                            {"pop3", join(config.pop3.listen)},
                            {"imap", join(config.imap.listen)},
                            {"submission", join(config.submission.listen)},
                            {"smtps", join(config.smtps.listen)},
                            {"pop3s", join(config.pop3s.listen)},
                            {"imaps", join(config.imaps.listen)},
                            {"threads", threads},
                            {"data_dir", config.data_dir},
                            {"admin_socket", config.admin_socket},
                            {"hostname", config.hostname},
                            {"config", config.source}});

    int sig = 0;
    for (;;) {
        if (sigwait(&signals, &sig) != 0) continue;
        if (sig == SIGHUP) {
            // Reading the files blocks: fine on this thread, which serves no
            // sessions. A bad new certificate keeps the old one in use.
            if (auto r = (*tls_setup)->reload(); !r)
                log::error("tls_reload_failed", {{"error", r.error().message}});
            continue;
        }
        break;
    }
    log::info("shutdown", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}, {"grace_s", config.smtp.shutdown_grace}});
    // Shutdown order (docs/ROBUSTNESS.md, "Shutdown"):
    // 1. Workers stop accepting and drain their sessions within the grace;
    //    the delivery engine's grace runs at the same time, so the whole
    //    stop stays within grace + 5 s.
    for (auto& w : workers) w->request_shutdown();
    engine->begin_stop();
    // 2. The worker loops end and close their rings to posts; the rings
    //    themselves stay allocated until step 4.
    for (auto& w : workers) w->join();
    // 3. Stop every producer that posts to a worker ring: the blocking pools
    //    (a session cut at the end of the grace may still wait on a call),
    //    the admin server, the delivery engine (its outcomes notify the
    //    mailbox hub, which posts to IMAP sessions' rings) and the commit
    //    stage (it answers sessions through their rings). Transactions in
    //    flight finish and their outcomes are written; the rest stays
    //    spooled for the next start.
    pool.stop();
    login_pool.stop();
    admin.stop();
    engine->stop();
    auto dstats = engine->stats();
    log::info("delivery_stopped", {{"messages", dstats.messages_done},
                                   {"delivered", dstats.delivered},
                                   {"deferred", dstats.deferred},
                                   {"failed", dstats.failed},
                                   {"connections", dstats.connections},
                                   {"transactions", dstats.transactions}});
    // Every session has ended or been cut, so nothing more is submitted:
    // the commit stage drains what is queued and the store closes cleanly.
    store->commit_stage().stop();
    auto stats = store->commit_stage().stats();
    // 4. Nothing can post any more: the rings (and what lived next to them)
    //    go, before the store they refer to.
    workers.clear();
    store.reset();
    log::info("stopped", {{"batches", stats.batches}, {"commits", stats.requests}, {"max_batch", stats.max_batch}});
    log::flush();
    return 0;
}

}  // namespace ringpost::server
