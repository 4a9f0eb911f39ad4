// DeliveryEngine: threads, claims and the life of one message on the
// delivery ring (begin -> jobs per destination -> finish -> durable outcome).
#include "delivery/engine.hpp"

#include <pthread.h>

#include <ctime>
#include <iterator>

#include "delivery/destination.hpp"
#include "delivery/engine_impl.hpp"
#include "delivery/outcome_events.hpp"
#include "io/kept_until_exit.hpp"
#include "io/ops.hpp"
#include "store/store.hpp"
#include "tls/context.hpp"
#include "util/log.hpp"

namespace ringpost::delivery {
namespace {

// Postfix's smtp_destination_recipient_limit: larger recipient lists are
// split into several transactions, which servers with a recipient limit take.
constexpr size_t kMaxRecipientsPerTransaction = 50;

const char* result_name(mail::RcptState s) {
    switch (s) {
        case mail::RcptState::kDelivered: return "delivered";
        case mail::RcptState::kFailed: return "failed";
        case mail::RcptState::kDeferred:
        case mail::RcptState::kQueued: break;
    }
    return "deferred";
}

// tls=none: plain text; tls=TLSv1.3 tls_cipher=... : encrypted;
// no tls= field: no server was reached (or local delivery).
// folder=: the mailbox of a local delivery (INBOX, or Junk for a DMARC
// quarantine).
void log_delivery(const std::string& qid, const DeliveryLogLine& l, int64_t delay, std::string_view folder) {
    std::vector<log::Field> fields{{"qid", qid}, {"rcpt", l.rcpt}, {"result", l.result}, {"relay", l.relay}};
    if (!folder.empty()) fields.push_back({"folder", folder});
    fields.push_back({"dsn", l.dsn});
    // class=: why a deferral or failure happened (bounce_class.hpp).
    if (!l.bounce_class.empty()) fields.push_back({"class", l.bounce_class});
    fields.push_back({"reply", l.reply});
    fields.push_back({"attempts", l.attempts});
    fields.push_back({"delay", delay});
    if (l.tls && l.tls->active) {
        fields.push_back({"tls", l.tls->version});
        fields.push_back({"tls_cipher", l.tls->cipher});
        fields.push_back({"tls_bits", l.tls->bits});
        fields.push_back({"tls_verified", l.tls->verified ? "yes" : "no"});
    } else if (l.tls) {
        fields.push_back({"tls", "none"});
    }
    if (!l.source.empty()) fields.push_back({"source", l.source});
    log::event(log::Level::kInfo, "delivery", fields);
}


// One log line per recipient with a result, and the local deliveries;
// the rest of the PendingOutcome is for the caller to fill in.
PendingOutcome log_lines_of(const InFlight& m, const store::OutcomeRequest& req, const BounceClassifier& classifier) {
    PendingOutcome out;
    for (const auto& r : m.results) {
        if (r.index >= req.envelope.recipients.size()) continue;
        const auto& after = req.envelope.recipients[r.index];
        DeliveryLogLine l;
        l.index = r.index;
        l.rcpt = after.address;
        l.result = r.local_delivery ? "delivered" : result_name(after.state);
        l.relay = m.relays[r.index];
        l.site = m.sites[r.index];
        // A deferral that expired (plan_outcome) is a 4.4.7 failure.
        l.dsn = after.state == mail::RcptState::kFailed && r.diagnostic.outcome == Outcome::kDeferred
                    ? std::string("4.4.7")
                    : r.diagnostic.enhanced;
        l.reply = std::string(strip_tls_note(after.last_reply));
        l.attempts = after.attempts;
        // From the stored reply, as `queue list` classifies it: an expired
        // deferral's "4.4.7 ..." is "expired".
        if (l.result != "delivered") l.bounce_class = bounce_class_name(classifier.classify(l.reply));
        l.tls = r.tls;
        if (m.source && !r.local_delivery) l.source = m.source->name;
        out.lines.push_back(std::move(l));
    }
    return out;
}

// The mailbox the commit thread filed recipient `index` into; "" if it
// was not delivered locally.
std::string_view filed_into(const store::OutcomeRequest& req, size_t index) {
    for (size_t k = 0; k < req.local_deliveries.size() && k < req.mailboxes.size(); ++k)
        if (req.local_deliveries[k] == index) return req.mailboxes[k];
    return {};
}

}  // namespace

std::string destination_key(const std::string& domain, const EgressSource* source) {
    // '|' is in no domain name, so keys with and without a source never meet.
    return source ? domain + "|" + source->name : domain;
}

std::string domain_of(std::string_view address) {
    size_t at = address.rfind('@');
    if (at == std::string_view::npos) return {};
    std::string d(address.substr(at + 1));
    for (auto& c : d)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return d;
}

OutcomePolicy outcome_policy(const EngineConfig& config) {
    OutcomePolicy policy;
    policy.retry = config.retry;
    policy.max_queue_lifetime = config.max_queue_lifetime;
    policy.delay_warning = config.delay_warning;
    policy.reporting_mta = config.hostname;
    policy.is_local = config.is_local;
    policy.new_queue_id = [] { return store::new_queue_id(); };
    policy.bounce_classifier = config.bounce_classifier;
    return policy;
}

DeliveryEngine::Impl::Impl(store::Spool& sp, store::CommitStage& cs, EngineConfig c)
    : spool(sp),
      commit(cs),
      config(std::move(c)),
      policy(outcome_policy(config)),
      source_chooser(config.egress),
      site_matcher(config.shaping.rules),
      host_slots(config.max_connections_per_host) {
    client_options.session.hostname = config.hostname;
    client_options.timeouts = config.timeouts;
}

// --- claims ---

bool DeliveryEngine::Impl::try_claim(const std::string& queue_id, size_t bytes) {
    std::lock_guard lock(claims_mu);
    if (stopping.load(std::memory_order_relaxed) || ring == nullptr) return false;
    if (claimed.size() >= config.max_messages_in_memory) return false;
    if (!claimed.empty() && claimed_bytes + bytes > config.max_bytes_in_memory) return false;
    if (!claimed.insert(queue_id).second) return false;
    claimed_bytes += bytes;
    return true;
}

void DeliveryEngine::Impl::release(const std::string& queue_id, size_t bytes) {
    std::lock_guard lock(claims_mu);
    if (claimed.erase(queue_id)) claimed_bytes -= std::min(claimed_bytes, bytes);
}

bool DeliveryEngine::Impl::is_claimed(std::string_view queue_id) {
    std::lock_guard lock(claims_mu);
    return claimed.count(std::string(queue_id)) > 0;
}

// --- public API ---

DeliveryEngine::DeliveryEngine(store::Spool& spool, store::CommitStage& commit, EngineConfig config)
    : impl_(std::make_unique<Impl>(spool, commit, std::move(config))) {}

DeliveryEngine::~DeliveryEngine() { stop(); }

Result<void> DeliveryEngine::start() {
    Impl& im = *impl_;
    // The outbound TLS context (reads the CA file: here, before the ring runs).
    bool wants_tls = im.config.tls.default_policy != TlsPolicy::kNone;
    for (const auto& [domain, p] : im.config.tls.domains) wants_tls = wants_tls || p != TlsPolicy::kNone;
    if (wants_tls && !im.client_options.tls_context) {
        tls::ClientConfig tc;
        tc.ca_file = im.config.tls_ca_file;
        auto ctx = tls::ClientContext::create(tc);
        if (!ctx) return make_error("delivery engine: TLS client context: " + ctx.error().message);
        im.client_options.tls_context = std::move(ctx).value();
    }
    // Durable suspensions (`queue suspend`), before the ring runs.
    auto suspended = im.spool.suspensions();
    if (!suspended) return make_error("delivery engine: reading suspensions: " + suspended.error().message);
    for (const auto& s : *suspended) im.suspensions.set(s.target, s.until, s.reason);
    // A source that cannot be bound defers its mail (it may come up later):
    // say so now.
    for (const auto& s : im.config.egress.sources)
        if (auto probed = probe_source(s.address); !probed)
            log::warn("egress_source_unusable", {{"source", s.name}, {"address", s.address},
                                                 {"error", probed.error().message}});
    im.thread = std::thread([&im] { im.thread_main(); });
    std::unique_lock lock(im.start_mu);
    im.start_cv.wait(lock, [&] { return im.start_done; });
    if (!im.ring_started_ok) {
        lock.unlock();
        im.thread.join();
        return make_error("delivery engine: " + im.start_error);
    }
    im.feeder = std::thread([&im] { im.feeder_main(); });
    return {};
}

void DeliveryEngine::begin_stop() {
    Impl& im = *impl_;
    if (!im.thread.joinable() || im.stopping.exchange(true)) return;
    {
        std::lock_guard lock(im.feed_mu);
        im.feed_stop = true;
    }
    im.feed_cv.notify_all();
    // A batch the feeder posts after this finds `stopping` set and leaves
    // its messages in the spool (begin()).
    std::lock_guard lock(im.claims_mu);
    if (im.ring) im.ring->post([&im] { im.shutdown_on_ring(); });
}

void DeliveryEngine::stop() {
    Impl& im = *impl_;
    if (!im.thread.joinable()) return;
    begin_stop();
    if (im.feeder.joinable()) im.feeder.join();
    im.thread.join();
    // Outcome callbacks run on the commit thread and touch this object:
    // wait for the last one (the commit stage always answers).
    std::unique_lock lock(im.claims_mu);
    im.writes_cv.wait(lock, [&] { return im.outstanding_writes == 0; });
}

bool DeliveryEngine::handoff(mail::Envelope envelope, std::string body) {
    return impl_->handoff(std::move(envelope), std::move(body));
}

bool DeliveryEngine::Impl::handoff(mail::Envelope envelope, std::string body) {
    // A held message (a milter's quarantine) waits for `queue release`.
    if (envelope.held) return false;
    if (envelope.next_attempt == 0) envelope.next_attempt = envelope.received_at;
    const int64_t due = envelope.next_attempt;
    if (due > static_cast<int64_t>(std::time(nullptr)) || !try_claim(envelope.queue_id, body.size())) {
        note_scheduled(due);
        return false;
    }
    auto m = std::make_shared<InFlight>();
    m->envelope = std::move(envelope);
    m->body = std::make_shared<const std::string>(std::move(body));
    std::lock_guard lock(claims_mu);
    if (!ring) return true;  // stopping: the claim lapses with the engine; the spool keeps the message
    ring->post([this, m = std::move(m)]() mutable { begin(std::move(m)); });
    return true;
}

void DeliveryEngine::scheduled(int64_t due) { impl_->note_scheduled(due); }

EngineStats DeliveryEngine::stats() const {
    const Impl& im = *impl_;
    EngineStats s;
    s.messages_done = im.messages_done.load();
    s.delivered = im.delivered.load();
    s.deferred = im.deferred.load();
    s.failed = im.failed.load();
    s.connections = im.connections.load();
    s.transactions = im.transactions.load();
    {
        std::lock_guard lock(const_cast<Impl&>(im).claims_mu);
        s.in_memory = im.claimed.size();
    }
    return s;
}

// --- the delivery thread ---

void DeliveryEngine::Impl::thread_main() {
    pthread_setname_np(pthread_self(), "rp-delivery");
    std::unique_ptr<io::Ring> owned;
    try {
        owned = std::make_unique<io::Ring>(4096);
        owned->bind_thread();
        auto created = dns::Resolver::create(*owned, config.resolver);
        if (!created) throw std::runtime_error(created.error().message);
        resolver = std::move(created).value();
    } catch (const std::exception& e) {
        std::lock_guard lock(start_mu);
        start_error = e.what();
        start_done = true;
        start_cv.notify_all();
        return;
    }
    {
        std::lock_guard lock(claims_mu);
        ring = owned.get();
    }
    {
        std::lock_guard lock(start_mu);
        ring_started_ok = true;
        start_done = true;
    }
    start_cv.notify_all();
    try {
        ring->run();
    } catch (const std::exception& e) {
        log::error("delivery_failed", {{"error", e.what()}});
    }
    {
        std::lock_guard lock(claims_mu);
        ring = nullptr;
    }
    if (drained) {
        destinations.clear();
        resolver.reset();
        owned.reset();
        return;
    }
    // Coroutines still suspended (a transaction that outlived the grace
    // period) are leaked, not destroyed under their feet, with what they
    // use; their messages stay in the spool and go out after the restart.
    for (auto& [key, dest] : destinations) io::keep_until_exit(dest.release());
    destinations.clear();
    io::keep_until_exit(resolver.release());
    io::keep_until_exit(owned.release());
}

void DeliveryEngine::Impl::begin(std::shared_ptr<InFlight> m) {
    if (stopping.load(std::memory_order_relaxed)) {
        release(m->envelope.queue_id, m->body->size());
        return;
    }
    m->started = static_cast<int64_t>(std::time(nullptr));
    const auto& env = m->envelope;
    m->relays.assign(env.recipients.size(), std::string());
    m->sites.assign(env.recipients.size(), std::string("none"));

    // Loop protection (Postfix's hopcount_limit): every pending recipient fails.
    size_t hops = count_received_headers(*m->body);
    if (hops >= config.max_hops) {
        Diagnostic d{Outcome::kFailed, 0, "5.4.6",
                     "too many hops (" + std::to_string(hops) + " Received: headers): mail forwarding loop"};
        for (size_t i = 0; i < env.recipients.size(); ++i)
            if (mail::is_pending(env.recipients[i].state)) {
                m->results.push_back(RecipientResult{i, d, {}, false, false, std::nullopt});
                m->relays[i] = "none";
            }
        finish(std::move(m));
        return;
    }

    // Local recipients: delivered into their INBOX (or Junk) by the outcome write
    // itself. Remote ones: grouped by domain into jobs.
    std::vector<std::pair<std::string, std::vector<size_t>>> groups;
    for (size_t i = 0; i < env.recipients.size(); ++i) {
        const auto& r = env.recipients[i];
        if (!mail::is_pending(r.state)) continue;
        if (r.local) {
            m->results.push_back(
                RecipientResult{i, Diagnostic{Outcome::kDelivered, 0, "2.0.0", "delivered to mailbox"}, {}, true, false, std::nullopt});
            m->relays[i] = "local";
            m->sites[i] = "local";
            continue;
        }
        std::string domain = domain_of(r.address);
        auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) {
            return g.first == domain && g.second.size() < kMaxRecipientsPerTransaction;
        });
        if (it == groups.end()) groups.emplace_back(std::move(domain), std::vector<size_t>{i});
        else it->second.push_back(i);
    }
    m->open_jobs = groups.size();
    if (groups.empty()) {
        finish(std::move(m));
        return;
    }
    // One source for the whole attempt: its recipients' connections come
    // from one address.
    m->source = choose_source(env);
    for (auto& [domain, rcpts] : groups) {
        auto& dest = destinations[destination_key(domain, m->source)];
        if (!dest) dest = std::make_unique<Destination>(*this, domain, m->source);
        dest->enqueue(Job{m, std::move(rcpts)});
    }
}

void DeliveryEngine::Impl::job_done(Job& job, std::vector<RecipientResult> results, const std::string& relay,
                                    const Site* site) {
    InFlight& m = *job.message;
    for (auto& r : results) {
        if (r.index < m.relays.size()) m.relays[r.index] = relay.empty() ? std::string("none") : relay;
        if (site && r.index < m.sites.size()) m.sites[r.index] = site->name();
        m.results.push_back(std::move(r));
    }
    if (--m.open_jobs == 0) finish(job.message);
}

void DeliveryEngine::Impl::finish(std::shared_ptr<InFlight> m) {
    const mail::Envelope& before = m->envelope;
    const size_t bytes = m->body->size();
    if (m->results.empty()) {  // nothing was attempted (stopping)
        release(before.queue_id, bytes);
        note_scheduled(before.next_attempt);
        return;
    }
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    PlannedOutcome plan = plan_outcome(before, m->body, m->results, now, policy);
    store::OutcomeRequest* req = plan.request.get();
    if (config.events)
        req->events = outcome_events(before, *req, AttemptInfo{&m->results, &m->relays, m->source ? m->source->name : ""},
                                     *config.bounce_classifier);

    // The log says what happened only once it is durable.
    PendingOutcome pending = log_lines_of(*m, *req, *config.bounce_classifier);
    pending.message = m;
    pending.request = req;
    pending.still_pending = mail::has_pending_recipients(req->envelope);
    pending.next = req->envelope.next_attempt;
    pending.old_due = before.next_attempt;
    pending.delay = now - before.received_at;
    pending.bytes = bytes;
    {
        std::lock_guard lock(claims_mu);
        ++outstanding_writes;
    }
    req->on_done = [this, pending = std::move(pending)](const Result<void>& result) {
        outcome_written(pending, result);
    };
    commit.submit(std::move(plan.request));
}

void DeliveryEngine::Impl::outcome_written(const PendingOutcome& p, const Result<void>& result) {
    const std::string& qid = p.message->envelope.queue_id;
    if (result.ok()) {
        for (const auto& l : p.lines) {
            const std::string_view folder = filed_into(*p.request, l.index);
            log_delivery(qid, l, p.delay, folder);
            count_result(l.result);
            counters.delivery(l.result, l.site, l.bounce_class);
            if (folder.empty()) continue;
            if (p.request->envelope.local_folder == mail::LocalFolder::kJunk) counters.junk();
            if (config.on_local_delivery) config.on_local_delivery(l.rcpt, std::string(folder));
        }
        if (!p.still_pending) log::info("removed", {{"qid", qid}});
        messages_done.fetch_add(1, std::memory_order_relaxed);
    } else if (result.error().code == store::kOutcomeGone) {
        log::info("outcome_dropped", {{"qid", qid}, {"reason", result.error().message}});
    } else {
        log::error("outcome_write_failed", {{"qid", qid}, {"error", result.error().message}});
    }
    // Release before announcing the new due time, so that a scan it
    // triggers does not skip the message as still claimed.
    release(qid, p.bytes);
    if (result.ok()) {
        if (p.still_pending) note_scheduled(p.next);
        deliver_notifications(qid, *p.request);
    } else if (result.error().code != store::kOutcomeGone) {
        note_scheduled(p.old_due);  // the spool still holds it as it was
    }
    std::lock_guard lock(claims_mu);
    --outstanding_writes;
    writes_cv.notify_all();
}

void DeliveryEngine::Impl::count_result(const std::string& result) {
    if (result == "delivered") delivered.fetch_add(1, std::memory_order_relaxed);
    else if (result == "failed") failed.fetch_add(1, std::memory_order_relaxed);
    else deferred.fetch_add(1, std::memory_order_relaxed);
}

void DeliveryEngine::Impl::deliver_notifications(const std::string& qid, store::OutcomeRequest& req) {
    for (auto& n : req.notifications) {
        counters.dsn(dsn_action(n->data));
        log::info("dsn", {{"qid", qid},
                          {"dsn_qid", n->envelope.queue_id},
                          {"action", dsn_action(n->data)},
                          {"to", n->envelope.recipients.empty() ? std::string() : n->envelope.recipients[0].address}});
        // The DSN is durable in the spool (and due at once): deliver it
        // right away, like a message just accepted.
        handoff(std::move(n->envelope), std::move(n->data));
    }
}

// --- per-host connection slots ---

bool HostSlots::Acquire::await_ready() {
    if (slots.closed_) return true;   // granted stays false
    Host& h = slots.hosts_[ip];
    if (h.active < slots.limit_ || slots.limit_ == 0) {
        ++h.active;
        waiter.granted = true;
        return true;
    }
    return false;
}

void HostSlots::Acquire::await_suspend(std::coroutine_handle<> h) {
    waiter.handle = h;
    Host& host = slots.hosts_[ip];
    host.waiters.push_back(&waiter);
    // A connection of another destination idling on this host (whatever
    // its path: the slots count addresses) gives way.
    if (!host.idle.empty()) {
        io::CancelSlot* idle = host.idle.back().slot;
        host.idle.pop_back();
        idle->cancel();
    }
}

bool HostSlots::wake_idle(const std::string& ip, const std::string& path) {
    auto it = hosts_.find(ip);
    if (it == hosts_.end()) return false;
    auto& v = it->second.idle;
    for (auto pos = v.rbegin(); pos != v.rend(); ++pos) {
        if (pos->path != path) continue;
        io::CancelSlot* idle = pos->slot;
        v.erase(std::next(pos).base());
        idle->cancel();
        return true;
    }
    return false;
}

Destination* DeliveryEngine::Impl::donor_for(const std::string& path, const Destination* except,
                                             const TlsState& tls) {
    auto it = by_path.find(path);
    if (it == by_path.end()) return nullptr;
    for (Destination* d : it->second)
        // Only within one site: the job's transaction counts against the
        // site's message rate, which the connection is paced by.
        if (d != except && d->has_jobs() && d->site() == except->site() && !d->held() &&
            connection_satisfies(d->tls_policy(), tls, d->preferred_host()))
            return d;
    return nullptr;
}

bool HostSlots::has_waiters(const std::string& ip) const {
    auto it = hosts_.find(ip);
    return it != hosts_.end() && !it->second.waiters.empty();
}

void HostSlots::add_idle(const std::string& ip, const std::string& path, io::CancelSlot* idle) {
    hosts_[ip].idle.push_back(Idle{path, idle});
}

void HostSlots::remove_idle(const std::string& ip, io::CancelSlot* idle) {
    auto it = hosts_.find(ip);
    if (it == hosts_.end()) return;
    auto& v = it->second.idle;
    auto pos = std::find_if(v.begin(), v.end(), [idle](const Idle& i) { return i.slot == idle; });
    if (pos != v.end()) v.erase(pos);
}

void HostSlots::release(const std::string& ip) {
    auto it = hosts_.find(ip);
    if (it == hosts_.end()) return;
    Host& h = it->second;
    if (!h.waiters.empty() && !closed_) {
        // The slot passes straight to the next waiter.
        Waiter* w = h.waiters.front();
        h.waiters.pop_front();
        w->granted = true;
        io::Ring::current()->schedule(w->handle);
        return;
    }
    if (h.active > 0) --h.active;
    if (h.active == 0 && h.waiters.empty() && h.idle.empty()) hosts_.erase(it);
}

void HostSlots::shut_down() {
    closed_ = true;
    for (auto& [ip, h] : hosts_) {
        for (Waiter* w : h.waiters) io::Ring::current()->schedule(w->handle);
        h.waiters.clear();
    }
}

uint32_t HostSlots::active(const std::string& ip) const {
    auto it = hosts_.find(ip);
    return it == hosts_.end() ? 0 : it->second.active;
}

const EgressSource* DeliveryEngine::Impl::choose_source(const mail::Envelope& envelope) {
    SourceChooser::Choice c = source_chooser.choose(envelope.pool);
    // The config lost the pool since the message was queued.
    if (c.unknown_pool)
        log::warn("egress_pool_unknown", {{"qid", envelope.queue_id}, {"pool", envelope.pool},
                                          {"default_pool", config.egress.default_pool}});
    return c.source;
}

void DeliveryEngine::Impl::retire_destination(const std::string& key) {
    if (!ring) return;   // stopped: the map goes with the engine
    // Erased from a posted task, not from inside the worker coroutine that
    // noticed it (its frame is still running Destination code).
    ring->post([this, key] {
        auto it = destinations.find(key);
        if (it != destinations.end() && it->second->retired()) destinations.erase(it);
    });
}

void DeliveryEngine::Impl::shutdown_on_ring() { io::spawn(drain()); }

io::Task<void> DeliveryEngine::Impl::drain() {
    for (auto& [key, dest] : destinations) dest->shut_down();
    for (auto& [key, site] : sites) site->shut_down();
    host_slots.shut_down();
    // Transactions in flight may finish (their outcomes are written).
    auto deadline = std::chrono::steady_clock::now() + config.shutdown_grace;
    for (;;) {
        bool busy = false;
        for (auto& [key, dest] : destinations) busy = busy || !dest->retired();
        if (!busy || std::chrono::steady_clock::now() >= deadline) break;
        co_await io::sleep_for(std::chrono::milliseconds(10));
    }
    bool clean = true;
    for (auto& [key, dest] : destinations) clean = clean && dest->retired();
    auto closing = resolver->shutdown();
    co_await std::move(closing);
    drained = clean;
    ring->stop();
}

}  // namespace ringpost::delivery
