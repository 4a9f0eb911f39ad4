// The delivery engine's destination sites (site.hpp): found or made when a
// destination has resolved where its mail goes, forgotten once unused; and
// the suspensions that hold a domain's or a site's mail.
#include <ctime>
#include <algorithm>
#include <functional>
#include <future>
#include <optional>

#include "delivery/destination.hpp"
#include "delivery/engine_impl.hpp"
#include "util/log.hpp"

namespace ringpost::delivery {

Site& DeliveryEngine::Impl::site_for(const std::string& domain, const std::vector<Target>& targets,
                                     const EgressSource* source) {
    SiteChoice choice = choose_site(config.shaping, site_matcher, domain, targets);
    const std::string name = choice.key;
    if (known_sites.size() >= kKnownSitesMax) known_sites.clear();
    known_sites[domain] = name;
    // Each source has its own state under the site's limits: a provider
    // counts connections and messages per sending address.
    if (source) choice.key = source->name + "/" + choice.key;
    auto it = sites.find(choice.key);
    if (it == sites.end()) {
        const SiteLimits& l = choice.limits;
        log::debug("site", {{"site", choice.key},
                            {"rule", choice.rule.empty() ? std::string("-") : choice.rule},
                            {"max_connections", l.max_connections},
                            {"max_message_rate", l.max_message_rate.unlimited() ? "-" : rate_to_string(l.max_message_rate)},
                            {"max_connection_rate",
                             l.max_connection_rate.unlimited() ? "-" : rate_to_string(l.max_connection_rate)}});
        it = sites.emplace(choice.key, std::make_unique<Site>(choice.key, name, choice.limits, choice.rule)).first;
    }
    it->second->attach();
    return *it->second;
}

void DeliveryEngine::Impl::site_detached(Site& site) {
    site.detach();
    // The engine's ring has stopped and its destinations are being
    // destroyed (a drained stop): the sites go with the engine.
    if (!ring) return;
    // Forgotten from a posted task, not from inside a coroutine of the site.
    ring->post([this, key = site.key()] {
        auto it = sites.find(key);
        if (it != sites.end() && it->second->unused()) sites.erase(it);
    });
}

void DeliveryEngine::Impl::hold(Job& job, const Held& held) {
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    std::vector<RecipientResult> results;
    for (size_t i : job.recipients) {
        RecipientResult r;
        r.index = i;
        r.diagnostic = held.diagnostic();
        r.held_until = held.due(now);
        results.push_back(std::move(r));
    }
    job_done(job, std::move(results), {});
}

void DeliveryEngine::Impl::act(Site& site, const AutomationRuleSpec& rule, const Diagnostic& reply) {
    // Ends are whole seconds: round now up, so that the effect lasts at
    // least its duration (a 3 s suspension is never 2.1 s).
    const int64_t now = std::chrono::ceil<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const int64_t until = now + rule.duration.count();
    if (rule.action == AutomationAction::kSuspend) {
        // In memory only: an automatic suspension ends by itself, and a
        // restart (a fresh start against the provider) forgets it.
        suspensions.set(site.name(), until, "rule " + rule.name + ": " + reply.to_string());
    } else if (rule.action == AutomationAction::kThrottle) {
        site.throttle(throttled_rate(site.message_rate(), rule), until);
    }
    if (config.events && rule.action != AutomationAction::kFail) {
        // No state change of the store: the event joins the next batch.
        store::Event e;
        e.type = rule.action == AutomationAction::kSuspend ? "suspended" : "throttled";
        e.site = site.name();
        e.until = until;
        e.code = reply.code;
        e.enhanced_code = reply.enhanced;
        e.response = reply.text;
        e.reason = "rule " + rule.name;
        if (rule.action == AutomationAction::kThrottle) e.reason += ": max_message_rate " + rate_to_string(site.message_rate());
        auto request = std::make_unique<store::EventRequest>();
        request->events.push_back(std::move(e));
        commit.submit(std::move(request));
    }
    log::info("automation", {{"rule", rule.name},
                             {"action", automation_action_name(rule.action)},
                             {"site", site.name()},
                             {"until", rule.action == AutomationAction::kFail ? int64_t{0} : until},
                             {"max_message_rate", rule.action == AutomationAction::kThrottle
                                                      ? rate_to_string(site.message_rate())
                                                      : std::string("-")},
                             {"reply", reply.to_string()}});
}

void DeliveryEngine::Impl::automate(Site& site, std::vector<RecipientResult>& results) {
    if (config.automation.empty()) return;
    bool acted = false;
    for (auto& r : results) {
        Diagnostic& d = r.diagnostic;
        if (d.outcome == Outcome::kDelivered || d.code < 400) continue;
        const AutomationRuleSpec* rule = config.automation.match(BounceReply{d.code, d.enhanced, d.text});
        if (!rule) continue;
        if (rule->action == AutomationAction::kFail) {
            // The provider says retrying will not help: fail now (a DSN)
            // instead of retrying until the queue lifetime ends.
            if (d.outcome == Outcome::kDeferred) d.outcome = Outcome::kFailed;
            if (!acted) act(site, *rule, d);
        } else if (!acted) {
            act(site, *rule, d);
        }
        acted = true;
    }
}

void DeliveryEngine::Impl::automate(Site& site, const Diagnostic& refusal) {
    if (config.automation.empty() || refusal.code < 400) return;
    const AutomationRuleSpec* rule = config.automation.match(BounceReply{refusal.code, refusal.enhanced, refusal.text});
    if (rule && rule->action != AutomationAction::kFail) act(site, *rule, refusal);
}

void DeliveryEngine::suspend(std::string target, int64_t until, std::string reason) {
    Impl& im = *impl_;
    log::info("suspended", {{"target", target}, {"until", until}, {"reason", reason}});
    std::lock_guard lock(im.claims_mu);   // guards `ring` (see handoff)
    if (!im.ring) return;   // not running: start() loads the durable ones
    im.ring->post([&im, target = std::move(target), until, reason = std::move(reason)]() mutable {
        im.suspensions.set(target, until, std::move(reason));
    });
}

namespace {

// What `read` (run on the ring thread) returns, or nullopt when the engine
// is not running or the ring did not answer within a second.
template <class T>
std::optional<T> ask_ring(DeliveryEngine::Impl& im, std::function<T()> read) {
    // Shared: the ring may answer after this call has given up waiting.
    auto answer = std::make_shared<std::promise<T>>();
    auto future = answer->get_future();
    {
        std::lock_guard lock(im.claims_mu);   // guards `ring`
        if (!im.ring) return std::nullopt;
        im.ring->post([answer, read = std::move(read)] { answer->set_value(read()); });
    }
    if (future.wait_for(std::chrono::seconds(1)) != std::future_status::ready) return std::nullopt;
    return future.get();
}

void add_waiting(std::map<std::string, QueueSnapshot::Entry>& by_name, const std::string& name, uint64_t n,
                 int64_t oldest) {
    QueueSnapshot::Entry& e = by_name[name];
    e.name = name;
    e.waiting += n;
    if (oldest != 0 && (e.oldest == 0 || oldest < e.oldest)) e.oldest = oldest;
}

// The top_n entries with the most waiting (ties by name).
std::vector<QueueSnapshot::Entry> top(std::map<std::string, QueueSnapshot::Entry> by_name, size_t top_n) {
    std::vector<QueueSnapshot::Entry> out;
    for (auto& [name, e] : by_name) out.push_back(std::move(e));
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.waiting > b.waiting; });
    if (out.size() > top_n) out.resize(top_n);
    return out;
}

}  // namespace

bool DeliveryEngine::resume(std::string target) {
    Impl& im = *impl_;
    const bool held = ask_ring<bool>(im, [&im, target] { return im.suspensions.clear(target); }).value_or(false);
    log::info("resumed", {{"target", target}});
    return held;
}

std::map<std::string, std::string> DeliveryEngine::domain_sites() const {
    Impl& im = *impl_;
    auto answer = ask_ring<std::map<std::string, std::string>>(im, [&im] {
        std::map<std::string, std::string> out(im.known_sites.begin(), im.known_sites.end());
        for (const auto& [key, dest] : im.destinations)
            if (dest->site()) out[dest->domain()] = dest->site()->name();
        return out;
    });
    return answer ? std::move(*answer) : std::map<std::string, std::string>{};
}

std::vector<Held> DeliveryEngine::suspensions_in_force() const {
    Impl& im = *impl_;
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    auto answer = ask_ring<std::vector<Held>>(im, [&im, now] { return im.suspensions.in_force(now); });
    return answer ? std::move(*answer) : std::vector<Held>{};
}

QueueSnapshot DeliveryEngine::queue_snapshot(size_t top_n) const {
    Impl& im = *impl_;
    auto answer = ask_ring<QueueSnapshot>(im, [&im, top_n] {
        QueueSnapshot q;
        std::map<std::string, QueueSnapshot::Entry> sites, domains;
        for (const auto& [key, dest] : im.destinations) {
            const auto [waiting, oldest] = dest->waiting();
            if (waiting == 0) continue;
            q.waiting += waiting;
            if (oldest != 0 && (q.oldest == 0 || oldest < q.oldest)) q.oldest = oldest;
            add_waiting(domains, dest->domain(), waiting, oldest);
            add_waiting(sites, dest->site() ? dest->site()->name() : std::string("none"), waiting, oldest);
        }
        q.sites = top(std::move(sites), top_n);
        q.domains = top(std::move(domains), top_n);
        q.answered = true;
        return q;
    });
    QueueSnapshot q = answer ? std::move(*answer) : QueueSnapshot{};
    std::lock_guard lock(im.claims_mu);
    q.in_memory = im.claimed.size();
    return q;
}

}  // namespace ringpost::delivery
