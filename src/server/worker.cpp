#include "server/worker.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>

#include "config/engine_config.hpp"
#include "config/protocol_configs.hpp"
#include "dns/resolver.hpp"
#include "server/authentication_filter.hpp"
#include "server/client_address.hpp"
#include "server/connection_limiter.hpp"
#include "server/filter_chain.hpp"
#include "server/server_metrics.hpp"
#include "server/listener_protocol.hpp"
#include "server/relay_policy.hpp"
#include "server/screen_metrics.hpp"
#include "server/screening.hpp"
#include "server/store_spool.hpp"
#include "io/acceptor.hpp"
#include "io/live_set.hpp"
#include "io/ops.hpp"
#include "io/ring.hpp"
#include "io/task.hpp"
#include "api/injection_api.hpp"
#include "api/routes.hpp"
#include "http/connection.hpp"
#include "http/router.hpp"
#include "imap/connection.hpp"   // IMAP front end
#include "pop3/connection.hpp"
#include "smtp/connection.hpp"
#include "store/store.hpp"
#include "tls/server_upgrade.hpp"
#include "util/log.hpp"
#include "util/log_rate_limit.hpp"

namespace ringpost::server {

// Everything that lives on the worker's thread, next to its ring.
struct Worker::State {
    io::Ring ring;
    io::LiveSet live;
    RelayPolicy policy;
    StoreSpool spool;
    // The protocols' settings (config/protocol_configs.hpp).
    smtp::SessionConfig session_config;
    smtp::Timeouts timeouts;
    pop3::SessionConfig pop3_config;
    pop3::Timeouts pop3_timeouts;
    pop3::Backend* pop3_backend = nullptr;
    // IMAP front end ([imap]).
    imap::SessionConfig imap_config;
    imap::Timeouts imap_timeouts;
    imap::Backend* imap_backend = nullptr;
    // The HTTP API ([http]): the parser's limits, the timeouts, the routes.
    http::ParserLimits http_limits;
    http::Timeouts http_timeouts;
    // The worker's own routes: the shared services plus its injection,
    // which accepts mail through this worker's policy and spool.
    std::optional<api::Injector> injector;
    std::optional<api::InjectionApi> injection;
    http::Router http_router;
    // TLS for STARTTLS/STLS (when [tls] starttls) and the implicit listeners.
    tls::ContextHolder* tls = nullptr;
    bool starttls = false;
    smtp::Authenticator* smtp_auth = nullptr;   // AUTH on every SMTP listener (over TLS by default)
    smtp::InflightBudget* inflight = nullptr;    // shared by all workers
    // What the proxy_protocol listeners check before anything else.
    ProxyGate proxy_gate;
    // DNS for the inbound checks on this ring (c-ares, never a blocking lookup).
    std::unique_ptr<dns::Resolver> resolver;
    // The inbound checks (SPF, Authentication-Results) ask this worker's
    // resolver, so they are this worker's own filter; then the shared ones
    // (egress pool, milters, DKIM signing), so that a signature never covers our field.
    std::optional<AuthenticationFilter> checks;
    std::optional<FilterChain> chain;
    smtp::MessageFilter* filter = nullptr;       // the chain
    // Screening before the greeting ([screen]) on the listeners that
    // screen, for clients not in relay_networks unless screen_trusted.
    std::optional<Screener> screener;
    bool screen_smtp = false;
    bool screen_submission = false;
    bool screen_trusted = false;
    std::string hostname;
    RateLimiter* connection_rate = nullptr;   // shared by all workers
    std::vector<std::unique_ptr<io::Acceptor>> acceptors;
    WorkerListeners* listeners = nullptr;   // the worker's; closed when draining
    bool shutting_down = false;
    unsigned accept_loops = 0;

    State(const config::Config& config, store::Store& store, const WorkerServices& services)
        : ring(8192),
          policy(config.relay, store, services.message_rate, services.greylist),
          spool(store.commit_stage(), config.relay.local_domains.empty() ? "" : config.relay.local_domains.front(),
                services.engine),
          session_config(config::smtp_session_config(config)),
          timeouts(config::smtp_timeouts(config)),
          pop3_config(config::pop3_session_config(config)),
          pop3_timeouts(config::pop3_timeouts(config)),
          pop3_backend(services.pop3),
          imap_config(config::imap_session_config(config)),
          imap_timeouts(config::imap_timeouts(config)),
          imap_backend(services.imap),
          http_limits(config::http_limits(config)),
          http_timeouts(config::http_timeouts(config)),
          http_router(services.api ? services.api->tokens : nullptr),
          tls(services.tls),
          starttls(services.tls && config.tls.starttls),
          smtp_auth(services.smtp_auth),
          inflight(services.inflight),
          proxy_gate{&config.proxy_networks, &live},
          screen_smtp(config.smtp.screen),
          screen_submission(config.submission.screen),
          screen_trusted(config.screen.screen_trusted),
          hostname(config.hostname),
          connection_rate(services.connection_rate) {
        auto created = dns::Resolver::create(ring, config::resolver_options(config));
        if (!created) throw std::runtime_error("DNS resolver: " + created.error().message);
        resolver = std::move(created.value());
        checks.emplace(inbound_settings(config), *resolver, services.check_pool);
        chain.emplace(std::vector<smtp::MessageFilter*>{&*checks, services.filter});
        filter = &*chain;
        screener.emplace(screen_settings(config), *resolver, live, services.screen_cache);
        if (!services.api) return;
        injector.emplace(session_config, policy, spool, filter);
        api::InjectionLimits limits;
        limits.max_recipients = session_config.limits.max_recipients;
        injection.emplace(*injector, limits, services.api->rates);
        api::Services own = *services.api;
        own.injection = &*injection;
        api::add_routes(http_router, own);
    }
};

namespace {

// Refuse without a session: one reply (after the handshake on an
// implicit-TLS listener, where a plain-text line would be noise), close.
// Bounded by short timeouts.
io::Task<void> refuse(Worker::State& st, int fd, Protocol protocol, const char* reply, const std::string& client_ip) {
    constexpr auto kRefusalTimeout = std::chrono::seconds(5);
    std::unique_ptr<io::Stream> stream = std::make_unique<io::PlainStream>(fd);
    if (is_implicit_tls(protocol)) {
        auto upgrading = tls::upgrade_to_tls(stream, *st.tls, kRefusalTimeout, protocol_name(protocol), client_ip);
        if (!(co_await std::move(upgrading))) co_return;   // the failed handshake closed the socket
    }
    std::string out(reply);
    auto sending = stream->send_all(out, kRefusalTimeout);
    co_await std::move(sending);
    auto closing = stream->close(kRefusalTimeout);
    co_await std::move(closing);
}

io::Task<void> serve_pop3(Worker::State& st, int fd, const std::string& ip, uint16_t port, bool implicit_tls) {
    pop3::ClientInfo client;
    client.ip = ip;
    client.port = port;
    pop3::ConnectionContext ctx{st.pop3_config, *st.pop3_backend, st.pop3_timeouts, st.live};
    ctx.tls = implicit_tls || st.starttls ? st.tls : nullptr;
    ctx.implicit_tls = implicit_tls;
    auto serving = pop3::serve_connection(fd, std::move(client), ctx);
    co_await std::move(serving);
}

// IMAP front end: one imap::serve_connection per accepted socket.
io::Task<void> serve_imap(Worker::State& st, int fd, const std::string& ip, uint16_t port, bool implicit_tls) {
    imap::ClientInfo client;
    client.ip = ip;
    client.port = port;
    imap::ConnectionContext ctx{st.imap_config, *st.imap_backend, st.imap_timeouts, st.live, {}};
    ctx.tls = implicit_tls || st.starttls ? st.tls : nullptr;
    ctx.implicit_tls = implicit_tls;
    auto serving = imap::serve_connection(fd, std::move(client), ctx);
    co_await std::move(serving);
}

// The HTTP API: one http::serve_connection per accepted socket.
io::Task<void> serve_http(Worker::State& st, int fd, http::Caller caller, bool implicit_tls) {
    http::ConnectionContext ctx{st.http_limits, st.http_router, st.http_timeouts, st.live};
    ctx.tls = implicit_tls ? st.tls : nullptr;
    ctx.implicit_tls = implicit_tls;
    auto serving = http::serve_connection(fd, std::move(caller), ctx);
    co_await std::move(serving);
}

io::Task<void> serve_smtp(Worker::State& st, int fd, smtp::ClientInfo client, Protocol protocol) {
    smtp::ConnectionContext ctx{st.session_config, st.policy, st.spool, st.timeouts, st.live};
    const bool implicit_tls = protocol == Protocol::kSmtps;
    ctx.tls = implicit_tls || st.starttls ? st.tls : nullptr;
    ctx.implicit_tls = implicit_tls;
    ctx.submission = protocol == Protocol::kSubmission || protocol == Protocol::kSmtps;
    ctx.auth = st.smtp_auth;
    ctx.inflight = st.inflight;
    ctx.filter = st.filter;
    auto serving = smtp::serve_connection(fd, std::move(client), ctx);
    co_await std::move(serving);
}

// Is this SMTP client screened? Its listener screens (never smtps: TLS
// comes first there) and it is not trusted, or trusted ones are screened too.
bool screened(const Worker::State& st, Protocol protocol, bool relay_allowed) {
    const bool listener = protocol == Protocol::kSmtp ? st.screen_smtp : protocol == Protocol::kSubmission && st.screen_submission;
    return listener && (!relay_allowed || st.screen_trusted);
}

// Before a screened client's session: its connection rate, then the
// screener's tests. False when the client was answered and the socket
// closed; true with what the screening said in client.screen.
io::Task<bool> admit(Worker::State& st, int fd, smtp::ClientInfo& client, IpKey key) {
    const std::string& ip = client.ip;
    if (st.connection_rate && st.connection_rate->hit(key.data()) == RateLimiter::Verdict::kOverLimit) {
        screen_metrics().count(ScreenEvent::kConnectionRate);
        log::warn("screen", {{"client", ip}, {"result", "connection_rate"}, {"limit", st.connection_rate->limit()}});
        // Postfix's reply to smtpd_client_connection_rate_limit.
        const std::string reply = "421 4.7.0 " + st.hostname + " Error: too many connections from " + ip + "\r\n";
        auto refusing = refuse(st, fd, Protocol::kSmtp, reply.c_str(), ip);
        co_await std::move(refusing);
        co_return false;
    }
    if (!st.screener->active()) co_return true;
    auto screening = st.screener->screen(fd, ip);
    const ScreenResult result = co_await std::move(screening);
    client.screen = screen_event_name(result.event);
    co_return result.verdict == ScreenVerdict::kPass;
}

// Every listening socket list of a worker, for what is done to all of them.
std::array<std::vector<io::Fd>*, 9> socket_lists(WorkerListeners& l) {
    return {&l.smtp, &l.pop3, &l.imap, &l.submission, &l.smtps, &l.pop3s, &l.imaps, &l.http, &l.https};
}

// The client's address (through its PROXY header on a proxy_protocol
// listener: `proxied`) comes first, so that the limits below count the
// real client, not the load balancer.
io::Task<void> handle_connection(Worker::State& st, ConnectionLimiter& limiter, int fd, Protocol protocol,
                                 bool proxied) {
    auto addressing = client_address(fd, protocol, proxied ? &st.proxy_gate : nullptr);
    const std::optional<io::SocketAddress> peer = co_await std::move(addressing);
    if (!peer) {
        co_await io::close(fd);
        co_return;
    }
    uint8_t ip16[16];
    io::address_bytes(peer->storage, ip16);
    smtp::ClientInfo client;
    client.ip = io::address_ip(peer->storage);
    client.port = io::address_port(peer->storage);
    const auto verdict = limiter.acquire(ip16);
    connection_metrics().count(protocol, verdict);
    if (verdict != ConnectionLimiter::Verdict::kOk) {
        const bool per_ip = verdict == ConnectionLimiter::Verdict::kTooManyFromIp;
        log::warn("refused", {{"client", client.ip},
                              {"proto", protocol_name(protocol)},
                              {"reason", per_ip ? "max_connections_per_ip" : "max_connections"}});
        auto refusing = refuse(st, fd, protocol, refusal_reply(protocol, verdict), client.ip);
        co_await std::move(refusing);
        co_return;
    }
    io::set_nodelay(fd);
    if (protocol == Protocol::kPop3 || protocol == Protocol::kPop3s) {
        auto serving = serve_pop3(st, fd, client.ip, client.port, protocol == Protocol::kPop3s);
        co_await std::move(serving);
        limiter.release(ip16);
        co_return;
    }
    if (protocol == Protocol::kHttp || protocol == Protocol::kHttps) {
        http::Caller caller{client.ip, client.port, false, st.policy.relay_allowed(ip16), {}};
        auto serving = serve_http(st, fd, std::move(caller), protocol == Protocol::kHttps);
        co_await std::move(serving);
        limiter.release(ip16);
        co_return;
    }
    if (protocol == Protocol::kImap || protocol == Protocol::kImaps) {   // IMAP front end
        auto serving = serve_imap(st, fd, client.ip, client.port, protocol == Protocol::kImaps);
        co_await std::move(serving);
        limiter.release(ip16);
        co_return;
    }
    client.relay_allowed = st.policy.relay_allowed(ip16);
    client.rate_limited = screened(st, protocol, client.relay_allowed);
    const bool rate_counted = st.connection_rate && !st.connection_rate->unlimited();
    if (client.rate_limited && (rate_counted || st.screener->active())) {
        auto admitting = admit(st, fd, client, ip_key(ip16));
        if (!(co_await std::move(admitting))) {
            limiter.release(ip16);
            co_return;
        }
    }
    auto serving = serve_smtp(st, fd, std::move(client), protocol);
    co_await std::move(serving);
    limiter.release(ip16);
}

// accept_backoff: at most one line a second for the whole process (every
// listener of every worker hits EMFILE at once), with how many were left out.
void log_accept_backoff(int error, Protocol protocol, std::chrono::milliseconds backoff) {
    static log::RateLimit limit(std::chrono::seconds(1));
    uint64_t suppressed = 0;
    if (!limit.allow(suppressed)) return;
    const char* name = strerrorname_np(error);
    log::error("accept_backoff", {{"errno", name ? name : std::to_string(error)},
                                  {"error", std::strerror(error)},
                                  {"proto", protocol_name(protocol)},
                                  {"backoff_ms", static_cast<int64_t>(backoff.count())},
                                  {"suppressed", suppressed}});
}

io::Task<void> accept_loop(Worker::State& st, ConnectionLimiter& limiter, io::Acceptor& acceptor, Protocol protocol,
                           bool proxied) {
    // EMFILE and friends: the connection stays in the backlog; wait, then
    // try again, doubling the wait up to kMaxBackoff while it keeps failing
    // (nginx waits 500 ms). Sessions ending meanwhile free descriptors, so
    // the listener serves again within kMaxBackoff of that.
    constexpr std::chrono::milliseconds kMinBackoff{10};
    constexpr std::chrono::milliseconds kMaxBackoff{500};
    std::chrono::milliseconds backoff = kMinBackoff;
    for (;;) {
        int fd = co_await acceptor.next();
        if (fd == -ECANCELED) break;
        if (fd < 0) {
            log_accept_backoff(-fd, protocol, backoff);
            co_await io::sleep_for(backoff);
            backoff = std::min(backoff * 2, kMaxBackoff);
            acceptor.resume();
            continue;
        }
        backoff = kMinBackoff;
        if (st.shutting_down) {
            co_await io::close(fd);
            continue;
        }
        io::spawn(handle_connection(st, limiter, fd, protocol, proxied));
    }
    --st.accept_loops;
}

// Graceful shutdown on this ring: idle sessions get 421 now, sessions in a
// transaction get until `grace` to finish, then everything is cut.
io::Task<void> drain(Worker::State& st, std::chrono::seconds grace) {
    st.live.set_draining();
    for (auto& a : st.acceptors) a->stop();
    // Close the listening sockets too: the kernel would otherwise complete
    // handshakes into the backlog that nobody will ever answer; closed, new
    // clients get a refusal and try another MX or later.
    for (auto* list : socket_lists(*st.listeners))
        for (auto& fd : *list) fd.reset();
    st.live.cancel_all(false);
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (st.live.size() > 0 && std::chrono::steady_clock::now() < deadline)
        co_await io::sleep_for(std::chrono::milliseconds(20));
    if (st.live.size() > 0) {
        st.live.cancel_all(true);
        // Sessions waiting on the commit stage cannot be cut; it answers fast.
        auto hard = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (st.live.size() > 0 && std::chrono::steady_clock::now() < hard)
            co_await io::sleep_for(std::chrono::milliseconds(20));
    }
    while (st.accept_loops > 0) co_await io::sleep_for(std::chrono::milliseconds(5));
    co_await st.resolver->shutdown();
    st.ring.stop();
}

}  // namespace

Worker::Worker(unsigned index, const config::Config& config, store::Store& store, WorkerServices services,
               ServiceLimiters limiters, WorkerListeners listeners)
    : index_(index),
      config_(config),
      store_(store),
      services_(services),
      limiters_(limiters),
      listeners_(std::move(listeners)) {}

// The ring goes only now, after join(): the server destroys its workers
// once every producer that might post to their rings has stopped.
Worker::~Worker() {
    join();
    owned_.reset();
}

bool Worker::start() {
    thread_ = std::thread([this] { thread_main(); });
    started_.wait(0);
    return started_.load() == 1;
}

void Worker::thread_main() {
    std::unique_ptr<State>& st = owned_;
    try {
        st = std::make_unique<State>(config_, store_, services_);
    } catch (const std::exception& e) {
        log::error("worker_failed", {{"worker", index_}, {"error", e.what()}});
        started_.store(-1);
        started_.notify_all();
        return;
    }
    st->ring.bind_thread();
    st->listeners = &listeners_;
    auto listen = [&](std::vector<io::Fd>& fds, Protocol protocol) {
        for (auto& l : fds) {
            st->acceptors.push_back(std::make_unique<io::Acceptor>(st->ring, l.get()));
            ++st->accept_loops;
            io::spawn(accept_loop(*st, limiter_for(limiters_, protocol), *st->acceptors.back(), protocol,
                                  proxy_protocol(config_, protocol)));
        }
    };
    listen(listeners_.smtp, Protocol::kSmtp);
    listen(listeners_.submission, Protocol::kSubmission);
    if (services_.pop3) listen(listeners_.pop3, Protocol::kPop3);
    if (services_.imap) listen(listeners_.imap, Protocol::kImap);
    // Implicit TLS needs the certificate.
    if (services_.tls) listen(listeners_.smtps, Protocol::kSmtps);
    if (services_.tls && services_.pop3) listen(listeners_.pop3s, Protocol::kPop3s);
    if (services_.tls && services_.imap) listen(listeners_.imaps, Protocol::kImaps);
    if (services_.api) listen(listeners_.http, Protocol::kHttp);
    if (services_.api && services_.tls) listen(listeners_.https, Protocol::kHttps);
    state_.store(st.get());
    started_.store(1);
    started_.notify_all();
    try {
        st->ring.run();
    } catch (const std::exception& e) {
        log::error("worker_failed", {{"worker", index_}, {"error", e.what()}});
    }
    state_.store(nullptr);
    // The loop is over: what a blocking pool, the commit stage or the hub
    // posts from now on is dropped (the ring itself lives on in owned_
    // until ~Worker, so a late post never touches freed memory). Frames of
    // coroutines still suspended (none after a clean drain) are leaked
    // deliberately rather than destroyed under their feet.
    st->ring.close();
    st->acceptors.clear();
    for (auto* list : socket_lists(listeners_)) list->clear();
}

void Worker::request_shutdown() {
    State* st = state_.load();
    if (!st) return;
    auto grace = std::chrono::seconds(config_.smtp.shutdown_grace);
    st->ring.post([st, grace] {
        if (st->shutting_down) return;
        st->shutting_down = true;
        io::spawn(drain(*st, grace));
    });
}

void Worker::join() {
    if (thread_.joinable()) thread_.join();
}

}  // namespace ringpost::server
