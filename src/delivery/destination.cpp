#include "delivery/destination.hpp"

#include <algorithm>
#include <ctime>

#include "util/log.hpp"

namespace ringpost::delivery {
namespace {

Transaction make_transaction(const Job& job) {
    const mail::Envelope& env = job.message->envelope;
    Transaction tx;
    tx.sender = env.sender;
    tx.envid = env.envid;
    tx.ret = env.ret;
    tx.body_type = env.body_type;
    tx.smtputf8 = env.smtputf8;
    tx.body = *job.message->body;
    for (size_t i : job.recipients) {
        const auto& r = env.recipients[i];
        tx.recipients.push_back(ClientRecipient{r.address, r.orcpt, r.notify});
    }
    return tx;
}

// Each job recipient's result of a transaction with `host`.
std::vector<RecipientResult> recipient_results(const Job& job, const TransactionResult& r, const std::string& host,
                                               const TlsState& tls) {
    std::vector<RecipientResult> results;
    for (size_t k = 0; k < job.recipients.size() && k < r.recipients.size(); ++k) {
        const Diagnostic& d = r.recipients[k];
        bool relayed = d.outcome == Outcome::kDelivered && !r.dsn_offered;
        results.push_back(RecipientResult{job.recipients[k], d, host, false, relayed, tls});
    }
    return results;
}

std::string relay_name(const Target& t) {
    // Postfix's relay=host[ip]:port, which log readers know.
    return t.host + "[" + t.ip + "]:" + std::to_string(t.port);
}

}  // namespace

Destination::~Destination() {
    set_preferred(Target{});
    if (site_) engine_.site_detached(*site_);
}

void Destination::attach_site(const std::vector<Target>& targets) {
    if (site_) return;
    site_ = &engine_.site_for(domain_, targets, source_);
    // The site's TLS policy fills in for a domain without its own entry.
    if (site_->limits().tls && !engine_.config.tls.domains.contains(domain_)) tls_policy_ = *site_->limits().tls;
}

ConnectionPath Destination::path_for(const Target& target) const {
    return path_to(target, tls_policy_, source_ ? source_->name : std::string());
}

void Destination::set_preferred(const Target& target) {
    preferred_host_ = target.host;
    ConnectionPath path = path_for(target);
    std::string key = target.ip.empty() ? std::string() : path.key();
    if (key == preferred_key_) return;
    if (!preferred_key_.empty()) {
        auto& v = engine_.by_path[preferred_key_];
        if (auto it = std::find(v.begin(), v.end(), this); it != v.end()) v.erase(it);
        if (v.empty()) engine_.by_path.erase(preferred_key_);
    }
    preferred_ = std::move(path);
    preferred_key_ = std::move(key);
    if (!preferred_key_.empty()) engine_.by_path[preferred_key_].push_back(this);
}

Job Destination::take_job() {
    Job job = std::move(queue_.front());
    queue_.pop_front();
    return job;
}

std::optional<Job> Destination::take_any(const std::string& path_key, const TlsState& tls) {
    if (!queue_.empty()) return take_job();
    if (Destination* donor = engine_.donor_for(path_key, this, tls)) return donor->take_job();
    return std::nullopt;
}

std::optional<Held> Destination::held() {
    return engine_.suspensions.holding(domain_, site_ ? std::string_view(site_->name()) : std::string_view(),
                                       static_cast<int64_t>(std::time(nullptr)));
}

void Destination::hold_queue(const Held& h) {
    std::deque<Job> jobs;
    jobs.swap(queue_);
    for (auto& job : jobs) engine_.hold(job, h);
}

void Destination::enqueue(Job job) {
    if (auto h = held()) {
        engine_.hold(job, *h);
        return;
    }
    queue_.push_back(std::move(job));
    if (!idle_.empty()) {
        wake_one();
        return;
    }
    // A connection of another domain over our path (same address, port and
    // TLS policy) idles: it takes the job (next_job) instead of a new
    // connection being opened. Domains that require TLS open their own, as
    // before: a woken connection that then failed connection_satisfies()
    // would leave the job without a worker.
    if (!requires_tls(tls_policy_) && !preferred_key_.empty() &&
        engine_.host_slots.wake_idle(preferred_.ip, preferred_key_))
        return;
    if (workers_ < limits().max_connections) {
        ++workers_;
        io::spawn(worker());
    }
}

void Destination::wake_one() {
    io::CancelSlot* slot = idle_.back();
    idle_.pop_back();
    slot->cancel();
}

std::pair<uint64_t, int64_t> Destination::waiting() const {
    int64_t oldest = 0;
    for (const Job& job : queue_) {
        const int64_t t = job.message->envelope.received_at;
        if (t != 0 && (oldest == 0 || t < oldest)) oldest = t;
    }
    return {queue_.size(), oldest};
}

void Destination::shut_down() {
    std::deque<Job> jobs;
    jobs.swap(queue_);
    for (auto& job : jobs) engine_.job_done(job, {}, {});
    while (!idle_.empty()) wake_one();
}

void Destination::fail_queue(const Diagnostic& d) {
    std::deque<Job> jobs;
    jobs.swap(queue_);
    for (auto& job : jobs) {
        std::vector<RecipientResult> results;
        for (size_t i : job.recipients) results.push_back(RecipientResult{i, d, {}, false, false, std::nullopt});
        engine_.job_done(job, std::move(results), {}, site_);
    }
}

io::Task<std::optional<Job>> Destination::next_job(const ConnectionPath& path, const TlsState& tls) {
    const std::string key = path.key();
    const std::string& ip = path.ip;
    if (auto job = take_any(key, tls)) co_return job;
    if (engine_.stopping.load(std::memory_order_relaxed)) co_return std::nullopt;
    if (engine_.host_slots.has_waiters(ip)) co_return std::nullopt;   // the host's slot is wanted elsewhere
    io::CancelSlot slot;
    idle_.push_back(&slot);
    engine_.host_slots.add_idle(ip, key, &slot);
    io::SleepOp sleep(limits().idle_timeout);
    sleep.slot = &slot;
    co_await sleep;
    if (auto it = std::find(idle_.begin(), idle_.end(), &slot); it != idle_.end()) idle_.erase(it);
    engine_.host_slots.remove_idle(ip, &slot);
    if (engine_.stopping.load(std::memory_order_relaxed)) co_return std::nullopt;
    co_return take_any(key, tls);
}

io::Task<Result<std::unique_ptr<ClientConnection>>> Destination::connect(const Target& t) {
    ClientOptions options = engine_.client_options;
    options.session.tls = tls_policy_;
    options.session.tls_host = t.host;
    if (source_) {
        options.source_address = source_->address;
        options.session.hostname = source_->ehlo;
    }
    auto connecting = ClientConnection::connect(t.ip, t.port, options);
    auto c = co_await std::move(connecting);
    if (c || c.error().code != kTlsHandshakeError || !retry_plain_after_handshake_failure(tls_policy_)) co_return c;
    // Postfix's "may": a server that offers STARTTLS but cannot complete the
    // handshake still gets the mail, in plain text, on a new connection.
    log::info("tls_fallback", {{"domain", domain_}, {"relay", relay_name(t)}, {"error", c.error().message}});
    options.session.tls = TlsPolicy::kNone;
    auto retrying = ClientConnection::connect(t.ip, t.port, std::move(options));
    co_return co_await std::move(retrying);
}

namespace {
// Gives a coroutine its own frame address without suspending it. Writes
// through a pointer: g++ 12 may await a copy of a named awaiter.
struct FrameAddress {
    void** out;
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) const noexcept {
        *out = h.address();
        return false;
    }
    void await_resume() const noexcept {}
};
}  // namespace

io::Task<void> Destination::worker() {
    void* frame = nullptr;
    FrameAddress addressing{&frame};
    co_await addressing;
    frames_.push_back(frame);
    auto resolving = resolve_targets(*engine_.resolver, domain_, engine_.config);
    Targets targets = co_await std::move(resolving);
    if (targets.failure) {
        log::info("destination_failed", {{"domain", domain_}, {"reply", targets.failure->to_string()}});
        fail_queue(*targets.failure);
    } else if (!targets.list.empty()) {
        set_preferred(targets.list.front());
        attach_site(targets.list);
    }

    while (!targets.failure && site_ && !queue_.empty() && !engine_.stopping.load(std::memory_order_relaxed)) {
        // Suspended (now, or while this worker waited): no attempt.
        if (auto h = held()) {
            hold_queue(*h);
            break;
        }
        // No connection while the site's message pace would leave it idle.
        if (auto wait = site_->message_wait(); wait > Pacer::Clock::duration::zero()) {
            auto sleeping = site_->sleep(wait);
            if (!co_await std::move(sleeping)) break;
            continue;
        }
        // Enough connections are (being) opened for what is queued: one
        // more would carry nothing. Workers that slept on the site's pace
        // wake together.
        if (connecting_ + connected_ >= queue_.size()) break;
        ++connecting_;
        Site::Acquire slot = site_->acquire_connection();
        const bool granted = co_await slot;
        // Another connection may have taken the pace's pass meanwhile.
        if (granted && site_->message_wait() > Pacer::Clock::duration::zero()) {
            site_->release_connection();
            --connecting_;
            continue;
        }
        std::unique_ptr<ClientConnection> conn;
        const Target* target = nullptr;
        bool opened = false;
        if (granted) {
            auto opening = open_connection(targets.list, conn, target);
            opened = co_await std::move(opening);
        }
        --connecting_;
        if (!granted) break;
        if (opened) {
            auto serving = serve_connection(*conn, *target);
            co_await std::move(serving);
        }
        site_->release_connection();
        if (!opened) break;
    }
    std::erase(frames_, frame);
    --workers_;
    if (retired()) engine_.retire_destination(key_);
}

io::Task<bool> Destination::open_connection(const std::vector<Target>& list, std::unique_ptr<ClientConnection>& conn,
                                            const Target*& target) {
    // Connect to the first host that answers (RFC 5321 5.1: MX hosts
    // in preference order, each of its addresses in turn).
    Error last;
    bool all_permanent = true;
    for (const auto& t : list) {
        if (!site_->try_pace_connection()) {
            auto pacing = site_->pace_connection();
            if (!co_await std::move(pacing)) co_return false;
        }
        auto slot = engine_.host_slots.acquire(t.ip);
        if (!co_await slot) co_return false;
        // Other workers may have emptied the queue while this one waited
        // for a slot: no connection for nothing.
        if (queue_.empty()) {
            engine_.host_slots.release(t.ip);
            co_return false;
        }
        auto connecting = connect(t);
        auto c = co_await std::move(connecting);
        if (c) {
            conn = std::move(c.value());
            target = &t;
            co_return true;
        }
        engine_.host_slots.release(t.ip);
        last = c.error();
        if (connect_outcome(last) != Outcome::kFailed) all_permanent = false;
        // A server that refuses us in its greeting ("421 4.7.0 [TSS04] ...")
        // says so to the shaping automation too.
        engine_.automate(*site_, diagnostic_from_error(last, Outcome::kDeferred, "4.4.1"));
        // Fields hold views: the relay name must outlive them.
        const std::string relay = relay_name(t);
        std::vector<log::Field> fields{{"domain", domain_}, {"relay", relay}, {"error", last.message}};
        if (source_) fields.push_back({"source", source_->name});
        log::event(log::Level::kInfo, "connect_failed", fields);
    }
    // Nobody else holds a connection to this destination: everything
    // queued for it gets this answer now instead of waiting.
    if (connected_ == 0)
        fail_queue(diagnostic_from_error(last, all_permanent ? Outcome::kFailed : Outcome::kDeferred,
                                         all_permanent ? "5.4.0" : "4.4.1"));
    co_return false;
}

io::Task<void> Destination::serve_connection(ClientConnection& conn, const Target& target) {
    engine_.connections.fetch_add(1, std::memory_order_relaxed);
    ++connected_;
    // The log's relay= and the sharing key both name the connection
    // really used, whichever destination the job came from.
    const std::string relay = relay_name(target);
    const ConnectionPath path = path_for(target);
    uint32_t sent = 0;
    while (conn.usable() && sent < limits().max_messages_per_connection) {
        // An idle connection costs the remote server a slot: rather than
        // hold one longer than the idle time for the site's message pace,
        // QUIT; the worker connects again when a message is due. A
        // suspension ends the connection too (the worker holds the queue).
        if (site_->message_wait() > limits().idle_timeout || held()) break;
        auto waiting = next_job(path, conn.tls());
        std::optional<Job> next = co_await std::move(waiting);
        if (!next) break;
        Job job = std::move(*next);
        // The pass is taken right before the transaction, so transactions
        // are never closer together than the site's rate allows.
        if (!site_->try_pace_message()) {
            auto pacing = site_->pace_message();
            if (!co_await std::move(pacing)) {
                engine_.job_done(job, {}, {});   // stopping: no attempt, as for queued jobs
                break;
            }
        }
        ++sent;
        auto running = conn.run_transaction(make_transaction(job));
        TransactionResult r = co_await std::move(running);
        engine_.transactions.fetch_add(1, std::memory_order_relaxed);
        std::vector<RecipientResult> results = recipient_results(job, r, target.host, conn.tls());
        engine_.automate(*site_, results);
        engine_.job_done(job, std::move(results), relay, site_);
    }
    auto quitting = conn.quit();
    co_await std::move(quitting);
    engine_.host_slots.release(target.ip);
    --connected_;
}

}  // namespace ringpost::delivery
