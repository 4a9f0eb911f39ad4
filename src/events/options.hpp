// The settings of the delivery event sinks ([events] in the configuration,
// docs/EVENTS.md): plain data, filled by src/config.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ringpost::events {

struct WebhookOptions {
    std::string name;                 // [events.webhooks.NAME]: its cursor and log name
    std::string url;                  // http://host[:port]/path or https://...
    uint32_t batch_size = 100;        // events per POST at most
    uint32_t max_batch_delay_ms = 1000;   // a smaller batch waits at most this long for more
    uint32_t timeout_ms = 10000;      // connect, each send and each receive
    std::vector<std::pair<std::string, std::string>> headers;   // e.g. Authorization
    uint32_t retry_initial_ms = 1000; // the first retry's wait; doubles per failure
    uint32_t retry_max_ms = 300000;   // ... up to this

    bool operator==(const WebhookOptions&) const = default;
};

struct EventsOptions {
    uint64_t max_events = 1000000;    // the log keeps at most this many
    uint32_t retention_seconds = 7 * 86400;   // and none older
    std::string file;                 // JSON lines appended here; "" = no file sink
    std::vector<WebhookOptions> webhooks;

    // The log is on only when something consumes it.
    bool enabled() const { return !file.empty() || !webhooks.empty(); }
    bool operator==(const EventsOptions&) const = default;
};

}  // namespace ringpost::events
