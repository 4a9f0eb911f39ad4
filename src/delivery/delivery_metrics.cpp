// DeliveryCounters (delivery_metrics.hpp).
#include "delivery/delivery_metrics.hpp"

namespace ringpost::delivery {

DeliveryCounters::DeliveryCounters()
    : deliveries_(metrics::global().counter(
          "ringpost_deliveries_total",
          "recipients' delivery attempts, by result (delivered, deferred, failed), site and bounce class",
          {"result", "site", "class"})),
      dsns_(metrics::global().counter("ringpost_dsn_generated_total",
                                      "delivery status notifications spooled, by action (failed, delayed, ...)",
                                      {"action"})),
      junk_(metrics::global()
                .counter("ringpost_local_junk_total",
                         "local deliveries filed into the user's junk mailbox (DMARC quarantine)")
                .with({})) {}

metrics::Counter& DeliveryCounters::child(metrics::CounterFamily& family,
                                          std::initializer_list<std::string_view> values) {
    std::string key(family.name());
    for (std::string_view v : values) (key += '\0') += v;
    auto it = cache_.find(key);
    if (it == cache_.end()) it = cache_.emplace(std::move(key), family.with(values)).first;
    return it->second;
}

void DeliveryCounters::delivery(std::string_view result, std::string_view site, std::string_view bounce_class) {
    child(deliveries_, {result, site, bounce_class.empty() ? std::string_view("none") : bounce_class}).inc();
}

void DeliveryCounters::dsn(std::string_view action) { child(dsns_, {action}).inc(); }

}  // namespace ringpost::delivery
