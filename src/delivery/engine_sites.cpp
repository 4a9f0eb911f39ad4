// The delivery engine's destination sites (site.hpp): found or made when a
// destination has resolved where its mail goes, forgotten once unused.
#include "delivery/engine_impl.hpp"
#include "util/log.hpp"

namespace ringpost::delivery {

Site& DeliveryEngine::Impl::site_for(const std::string& domain, const std::vector<Target>& targets,
                                     const EgressSource* source) {
    SiteChoice choice = choose_site(config.shaping, site_matcher, domain, targets);
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
        it = sites.emplace(choice.key, std::make_unique<Site>(choice.key, choice.limits, choice.rule)).first;
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

}  // namespace ringpost::delivery
