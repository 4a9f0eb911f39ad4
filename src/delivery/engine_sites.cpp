// The delivery engine's destination sites (site.hpp): found or made when a
// destination has resolved where its mail goes, forgotten once unused; and
// the suspensions that hold a domain's or a site's mail.
#include <ctime>
#include <future>

#include "delivery/destination.hpp"
#include "delivery/engine_impl.hpp"
#include "util/log.hpp"

namespace ringpost::delivery {

Site& DeliveryEngine::Impl::site_for(const std::string& domain, const std::vector<Target>& targets,
                                     const EgressSource* source) {
    SiteChoice choice = choose_site(config.shaping, site_matcher, domain, targets);
    const std::string name = choice.key;
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

void DeliveryEngine::suspend(std::string target, int64_t until, std::string reason) {
    Impl& im = *impl_;
    log::info("suspended", {{"target", target}, {"until", until}, {"reason", reason}});
    std::lock_guard lock(im.claims_mu);   // guards `ring` (see handoff)
    if (!im.ring) return;   // not running: start() loads the durable ones
    im.ring->post([&im, target = std::move(target), until, reason = std::move(reason)]() mutable {
        im.suspensions.set(target, until, std::move(reason));
    });
}

void DeliveryEngine::resume(std::string target) {
    Impl& im = *impl_;
    log::info("resumed", {{"target", target}});
    std::lock_guard lock(im.claims_mu);
    if (!im.ring) return;
    im.ring->post([&im, target = std::move(target)] { im.suspensions.clear(target); });
}

std::map<std::string, std::string> DeliveryEngine::domain_sites() const {
    Impl& im = *impl_;
    // Shared: the ring may answer after this call has given up waiting.
    auto answer = std::make_shared<std::promise<std::map<std::string, std::string>>>();
    auto future = answer->get_future();
    {
        std::lock_guard lock(im.claims_mu);
        if (!im.ring) return {};
        im.ring->post([&im, answer] {
            std::map<std::string, std::string> out;
            for (const auto& [key, dest] : im.destinations)
                if (dest->site()) out[dest->domain()] = dest->site()->name();
            answer->set_value(std::move(out));
        });
    }
    if (future.wait_for(std::chrono::seconds(1)) != std::future_status::ready) return {};
    return future.get();
}

}  // namespace ringpost::delivery
