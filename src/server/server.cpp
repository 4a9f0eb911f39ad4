#include "server/server.hpp"

#include <signal.h>

#include <optional>
#include <thread>

#include "config/engine_config.hpp"
#include "config/protocol_configs.hpp"
#include "metrics/registry.hpp"
#include "server/listeners.hpp"
#include "server/server_metrics.hpp"
#include "store/commit_stage.hpp"
#include "store/keys.hpp"
#include "util/log.hpp"

namespace ringpost::server {
namespace {

unsigned worker_count(const config::Config& config) {
    if (config.threads > 0) return config.threads;
    unsigned n = std::thread::hardware_concurrency();
    return n ? n : 1;
}

// The store pool runs one user's calls one at a time (StoreImapBackend's
// fairness key), so a user with many sessions cannot occupy every thread.
io::BlockingPool::Options pool_options(const config::Config& config, size_t max_running_per_key) {
    io::BlockingPool::Options options;
    options.max_running_per_key = max_running_per_key;
    options.nice = static_cast<int>(config.pool_nice);
    return options;
}

// Signing threads: as many as rings, at the rings' priority (the 250 waits
// for the signature), with room for every session of a busy server to
// queue one message.
io::BlockingPool::Options sign_pool_options(unsigned threads) {
    io::BlockingPool::Options options;
    options.threads = threads;
    options.max_queued = 8192;
    options.name = "rp-dkim";
    return options;
}

io::BlockingPool::Options admin_pool_options(const config::Config& config) {
    io::BlockingPool::Options options;
    options.threads = 1;
    options.max_queued = 64;
    options.name = "rp-admin";
    options.nice = static_cast<int>(config.pool_nice);
    return options;
}

Result<std::shared_ptr<const http::TokenSet>> load_tokens(const config::Config& config) {
    if (config.http.tokens_file.empty()) return std::shared_ptr<const http::TokenSet>();
    auto tokens = http::TokenSet::load(config.http.tokens_file);
    if (!tokens) return make_error("http.tokens_file: " + tokens.error().message);
    return std::make_shared<const http::TokenSet>(std::move(tokens).value());
}

Result<std::unique_ptr<store::Store>> open_store(const config::Config& config) {
    store::StoreOptions options;
    options.path = config.data_dir;
    options.min_free_space = config.store.min_free_space;
    // The event log is on only when a sink consumes it.
    options.events.enabled = config.events.enabled();
    options.events.max_events = config.events.max_events;
    options.events.retention_seconds = config.events.retention_seconds;
    auto opened = store::Store::open(options);
    if (!opened) return opened.error();
    if (auto r = opened.value()->recovery().recover(); !r) return r.error();
    return opened;
}

// Fills a table kept in memory (greylisting's, the screening's pass cache)
// from its stored records: a blocking read, before anything serves. A read
// error only costs what the table remembered. Returns how many stored
// records the table dropped (expired, over its bound), none after an error.
template <typename Table, typename Loaded>
std::optional<size_t> fill_from_store(Table& table, Loaded records, const char* failed_event) {
    if (!records) {
        log::warn(failed_event, {{"error", records.error().message}});
        return std::nullopt;
    }
    const size_t stored = records.value().size();
    table.load(std::move(records).value(), Greylist::wall_clock_ms());
    return stored - table.size();
}

// The greylisting table; its changes join the commit stage's batches
// unsynced. After a read error greylisting starts over.
std::unique_ptr<Greylist> open_greylist(const config::Config& config, store::Store& store) {
    if (!config.greylist.enabled) return nullptr;
    auto table = std::make_unique<Greylist>(config.greylist, [&store](auto put, auto removed) {
        store.greylist().save(std::move(put), std::move(removed));
    });
    if (auto dropped = fill_from_store(*table, store.greylist().load(), "greylist_load_failed")) {
        log::info("greylist", {{"records", table->size()}, {"dropped", *dropped},
                               {"domains", config.greylist.domains.empty() ? std::string("(all)")
                                                                            : std::to_string(config.greylist.domains.size())}});
    }
    return table;
}

// The screening's pass cache, filled from the store as greylisting's table
// is (a read error only costs the remembered passes: clients are screened
// again). None when no listener screens or no test is on.
std::unique_ptr<ScreenCache> open_screen_cache(const config::Config& config, store::Store& store) {
    const config::ScreenConfig& s = config.screen;
    const bool tests = !s.dnsbl_sites.empty() || s.pregreet != "off";
    const bool remembers = s.dnsbl_ttl_ms > 0 || s.pregreet_ttl_ms > 0;
    if (!(config.smtp.screen || config.submission.screen) || !tests || !remembers) return nullptr;
    const ScreenCache::Limits limits{s.dnsbl_ttl_ms, s.pregreet_ttl_ms, s.cache_max_entries};
    auto cache = std::make_unique<ScreenCache>(limits, [&store](auto put, auto removed) {
        store.screen().save(std::move(put), std::move(removed));
    });
    if (auto dropped = fill_from_store(*cache, store.screen().load(), "screen_cache_load_failed")) {
        log::info("screen_cache", {{"records", cache->size()}, {"dropped", *dropped}});
    }
    return cache;
}

}  // namespace

Result<std::unique_ptr<Server>> Server::open(const config::Config& config, const NofileLimit& nofile) {
    auto store = open_store(config);
    if (!store) return store.error();
    auto listeners = bind_listeners(config, worker_count(config));
    if (!listeners) return listeners.error();
    // The server certificate, generated self-signed on first start when none
    // is configured.
    auto tls = TlsSetup::create(config);
    if (!tls) return make_error("TLS: " + tls.error().message);
    std::unique_ptr<DkimSigning> dkim;
    try {
        dkim = DkimSigning::load(config.dkim);
    } catch (const config::ConfigError& e) {
        return make_error(e.what());
    }
    auto tokens = load_tokens(config);
    if (!tokens) return tokens.error();
    return std::unique_ptr<Server>(new Server(config, nofile, std::move(store).value(), std::move(listeners).value(),
                                              std::move(tls).value(), std::move(dkim), std::move(tokens).value()));
}

Server::Server(const config::Config& config, const NofileLimit& nofile, std::unique_ptr<store::Store> store,
               std::vector<WorkerListeners> listeners, std::unique_ptr<TlsSetup> tls,
               std::unique_ptr<DkimSigning> dkim, std::shared_ptr<const http::TokenSet> tokens)
    : config_(config),
      threads_(static_cast<unsigned>(listeners.size())),
      store_(std::move(store)),
      listeners_(std::move(listeners)),
      tls_(std::move(tls)),
      pool_(pool_options(config, 1)),
      login_pool_(pool_options(config, io::BlockingPool::Options{}.max_running_per_key)),
      pop3_backend_(store_->users(), store_->mailboxes(), pool_, login_pool_, maildrop_locks_, throttle_, &hub_),
      imap_backend_(*store_, pool_, login_pool_, throttle_, hub_),
      smtp_auth_(store_->users(), login_pool_, throttle_),
      dkim_(std::move(dkim)),
      sign_pool_(dkim_ ? std::make_unique<io::BlockingPool>(sign_pool_options(threads_)) : nullptr),
      dkim_filter_(dkim_ ? std::make_unique<DkimFilter>(*dkim_, *sign_pool_) : nullptr),
      egress_pools_(config.egress),
      pool_filter_(egress_pools_),
      milter_policy_(config.relay, *store_),
      milter_filter_(config.milters.empty() ? nullptr
                                            : std::make_unique<MilterFilter>(config.milters, config.hostname, milter_policy_)),
      filters_({&pool_filter_, milter_filter_.get(), dkim_filter_.get()}),
      pushers_(*store_, config.events),
      http_tokens_(tokens ? std::make_unique<http::TokenHolder>(std::move(tokens)) : nullptr),
      admin_pool_(admin_pool_options(config)),
      http_rates_(config::http_message_rate(config)),
      status_history_(std::chrono::seconds(10), 60),
      limits_(config, nofile, threads_),
      connection_rate_(config.smtp.max_connection_rate_per_ip),
      message_rate_(config.smtp.max_message_rate_per_ip),
      greylist_(open_greylist(config, *store_)),
      screen_cache_(open_screen_cache(config, *store_)),
      inflight_(config.smtp.max_inflight_bytes, config.smtp.max_inflight_bytes_per_ip) {
    static_assert(config::kMinInflightShare == smtp::InflightBudget::kChunk, "the smallest share is one chunk");
    if (dkim_)
        log::info("dkim", {{"domains", config.dkim.domains.size()}, {"keys", dkim_->key_count()},
                           {"sign", config.dkim.sign}});
    log::info("inflight_budget",
              {{"max", config.smtp.max_inflight_bytes}, {"max_per_ip", config.smtp.max_inflight_bytes_per_ip}});
}

Server::~Server() { stop(); }

Result<void> Server::start() {
    register_all_families();
    try {
        auto econfig = config::engine_config(config_);
        // IMAP sessions with INBOX selected hear of local deliveries.
        econfig.on_local_delivery = [this](const std::string& user, const std::string& mailbox) {
            hub_.publish(store::keys::lower_address(user), mailbox);
        };
        engine_ = std::make_unique<delivery::DeliveryEngine>(store_->spool(), store_->commit_stage(),
                                                             std::move(econfig));
    } catch (const config::ConfigError& e) {
        return make_error(e.what());
    }
    if (auto r = engine_->start(); !r) return r;
    gauges_ = register_live_gauges(LiveSources{engine_.get(),
                                               config_.metrics.top_sites,
                                               {{"store", &pool_}, {"login", &login_pool_}, {"dkim", sign_pool_.get()}},
                                               limits_.limiters()});
    const admin::AdminExtras extras{&config_, engine_.get(), &admin_serial_, &metrics::global()};
    if (auto r = admin_.start(*store_, config_.admin_socket, extras); !r) return r;
    admin_api_ = std::make_unique<api::AdminApi>(*store_, extras, admin_pool_);
    api_services_.admin = admin_api_.get();
    api_services_.tokens = http_tokens_.get();
    api_services_.rates = &http_rates_;
    monitoring_api_ = std::make_unique<api::MonitoringApi>(*store_, extras, admin_pool_, status_history_,
                                                           config_.hostname, RINGPOST_VERSION);
    api_services_.monitoring = monitoring_api_.get();
    status_history_.start();
    if (auto r = pushers_.start(); !r) return r;
    const WorkerServices services{engine_.get(), &pop3_backend_, &imap_backend_, &tls_->holder(),
                                  &smtp_auth_,   &inflight_,     &filters_,      &api_services_,
                                  &connection_rate_, &message_rate_, &pool_,
                                  greylist_.get(),   screen_cache_.get()};
    for (unsigned i = 0; i < threads_; ++i) {
        workers_.push_back(
            std::make_unique<Worker>(i, config_, *store_, services, limits_.limiters(), std::move(listeners_[i])));
        if (!workers_.back()->start()) return make_error("worker " + std::to_string(i) + " did not start");
    }
    log_listening();
    return {};
}

void Server::log_listening() const {
    const config::Config& c = config_;
    log::info("listening", {{"smtp", join_addresses(c.smtp.listen)},
                            {"pop3", join_addresses(c.pop3.listen)},
                            {"imap", join_addresses(c.imap.listen)},
                            {"submission", join_addresses(c.submission.listen)},
                            {"smtps", join_addresses(c.smtps.listen)},
                            {"pop3s", join_addresses(c.pop3s.listen)},
                            {"imaps", join_addresses(c.imaps.listen)},
                            {c.http.tls ? "https" : "http", join_addresses(c.http.listen)},
                            {"http_tokens", http_tokens_ ? c.http.tokens_file : std::string("(none: relay_networks)")},
                            {"threads", threads_},
                            {"data_dir", c.data_dir},
                            {"admin_socket", c.admin_socket},
                            {"hostname", c.hostname},
                            {"config", c.source}});
}

void Server::stop() {
    status_history_.stop();   // its samples read the engine's gauges
    if (stopped_) return;
    stopped_ = true;
    // 1. Workers stop accepting and drain their sessions within the grace;
    //    the delivery engine's grace runs at the same time, so the whole
    //    stop stays within grace + 5 s.
    for (auto& w : workers_) w->request_shutdown();
    if (engine_) engine_->begin_stop();
    // 2. The worker loops end and close their rings to posts; the rings
    //    themselves stay allocated until step 4.
    for (auto& w : workers_) w->join();
    // 3. Stop every producer that posts to a worker ring: the blocking pools
    //    (a session cut at the end of the grace may still wait on a call),
    //    the admin server, the delivery engine (its outcomes notify the
    //    mailbox hub, which posts to IMAP sessions' rings) and the commit
    //    stage (it answers sessions through their rings). Transactions in
    //    flight finish and their outcomes are written; the rest stays
    //    spooled for the next start.
    pool_.stop();
    login_pool_.stop();
    admin_pool_.stop();
    if (sign_pool_) sign_pool_->stop();
    admin_.stop();
    pushers_.stop();   // its last cursor writes go through the commit stage
    if (engine_) {
        engine_->stop();
        const auto d = engine_->stats();
        log::info("delivery_stopped", {{"messages", d.messages_done}, {"delivered", d.delivered},
                                       {"deferred", d.deferred}, {"failed", d.failed},
                                       {"connections", d.connections}, {"transactions", d.transactions}});
    }
    // Every session has ended or been cut, so nothing more is submitted:
    // the commit stage drains what is queued.
    store_->commit_stage().stop();
    const auto stats = store_->commit_stage().stats();
    // 4. Nothing can post any more: the rings (and what lived next to them)
    //    go first; the members above them follow in reverse order, the
    //    store last.
    workers_.clear();
    log::info("stopped", {{"batches", stats.batches}, {"commits", stats.requests}, {"max_batch", stats.max_batch}});
}

Result<void> Server::reload_http_tokens() {
    if (!http_tokens_) return {};
    auto tokens = load_tokens(config_);
    if (!tokens) return tokens.error();
    log::info("http_tokens_reloaded", {{"file", config_.http.tokens_file}, {"tokens", tokens.value()->size()}});
    http_tokens_->set(std::move(tokens).value());
    return {};
}

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

    auto server = Server::open(config, nofile);
    if (!server) {
        log::error("startup_failed", {{"error", server.error().message}});
        return 1;
    }
    if (auto r = server.value()->start(); !r) {
        log::error("startup_failed", {{"error", r.error().message}});
        return 1;   // ~Server stops what started
    }

    int sig = 0;
    for (;;) {
        if (sigwait(&signals, &sig) != 0) continue;
        if (sig != SIGHUP) break;
        // Reading the files blocks: fine on this thread, which serves no
        // sessions. A bad new certificate keeps the old one in use.
        if (auto r = server.value()->reload_tls(); !r) log::error("tls_reload_failed", {{"error", r.error().message}});
        if (auto r = server.value()->reload_http_tokens(); !r)
            log::error("http_tokens_reload_failed", {{"error", r.error().message}});
    }
    log::info("shutdown", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}, {"grace_s", config.smtp.shutdown_grace}});
    server.value().reset();   // stops in order (Server::stop), the store closes last
    log::flush();
    return 0;
}

}  // namespace ringpost::server
