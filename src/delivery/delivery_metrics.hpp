// The delivery engine's counters (metrics/registry.hpp): every recipient's
// outcome by result, site and bounce class, and the DSNs generated. Used
// on the commit thread only (where outcomes become durable), so its cache
// of labelled children needs no lock.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "metrics/registry.hpp"

namespace ringpost::delivery {

class DeliveryCounters {
public:
    DeliveryCounters();
    // result: delivered, deferred, failed; site: the site's name, "local"
    // or "none" (not resolved); bounce_class: "" for delivered.
    void delivery(std::string_view result, std::string_view site, std::string_view bounce_class);
    // action: the DSN's Action (failed, delayed, delivered, relayed, expanded).
    void dsn(std::string_view action);
    // A local delivery filed into the user's junk mailbox (a DMARC
    // quarantine, [inbound] dmarc_quarantine = "junk").
    void junk() { junk_.inc(); }

private:
    metrics::Counter& child(metrics::CounterFamily& family, std::initializer_list<std::string_view> values);

    metrics::CounterFamily& deliveries_;
    metrics::CounterFamily& dsns_;
    metrics::Counter junk_;
    // Label values joined by '\0' -> the child; grows with the sites seen.
    std::unordered_map<std::string, metrics::Counter> cache_;
};

}  // namespace ringpost::delivery
