// The [events] keys (keys_events.hpp): the log's bounds, the file sink,
// and the webhooks as a table of tables.
#include "config/keys_events.hpp"

#include "config/key_kinds.hpp"
#include "events/url.hpp"

namespace ringpost::config {
namespace {

using namespace kinds;

const std::vector<std::string_view> kWebhookKeys = {"url", "batch_size", "max_batch_delay", "timeout", "headers",
                                                     "retry_initial", "retry_max"};
constexpr uint32_t kMaxDelayMs = 3600 * 1000;

bool header_text_ok(std::string_view s) { return !s.empty() && s.find_first_of("\r\n") == std::string_view::npos; }

std::vector<std::pair<std::string, std::string>> read_headers(const Reader& r, const toml::node& node,
                                                              const std::string& key) {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto&& [k, v] : r.table(node, key)) {
        const std::string name(k.str());
        const std::string at = key + "." + quote(name);
        const std::string value = r.string(v, at);
        if (!header_text_ok(name) || name.find_first_of(": \t") != std::string::npos || !header_text_ok(value))
            r.fail(at, "expected a header name without blanks or ':' and a value on one line");
        out.emplace_back(name, value);
    }
    return out;
}

void read_webhook_field(const Reader& r, events::WebhookOptions& w, const std::string& field, const toml::node& v,
                        const std::string& at) {
    if (field == "url") {
        w.url = r.string(v, at);
        if (auto url = events::parse_url(w.url); !url) r.fail(at, url.error().message + ", got " + quote(w.url));
    } else if (field == "batch_size") {
        w.batch_size = static_cast<uint32_t>(r.integer(v, at, 1, 100000));
    } else if (field == "max_batch_delay") {
        w.max_batch_delay_ms = r.milliseconds(v, at, kMaxDelayMs);
    } else if (field == "timeout") {
        w.timeout_ms = r.milliseconds(v, at, kMaxDelayMs);
        if (w.timeout_ms == 0) r.fail(at, "expected a timeout above 0");
    } else if (field == "headers") {
        w.headers = read_headers(r, v, at);
    } else if (field == "retry_initial") {
        w.retry_initial_ms = r.milliseconds(v, at, kMaxDelayMs);
        if (w.retry_initial_ms == 0) r.fail(at, "expected a wait above 0");
    } else if (field == "retry_max") {
        w.retry_max_ms = r.milliseconds(v, at, kMaxDelayMs);
    }
}

events::WebhookOptions read_webhook(const Reader& r, const std::string& name, const toml::node& node,
                                    const std::string& key) {
    events::WebhookOptions w;
    w.name = name;
    for (auto&& [k, v] : r.table(node, key)) {
        const std::string field(k.str());
        if (std::find(kWebhookKeys.begin(), kWebhookKeys.end(), field) == kWebhookKeys.end())
            r.unknown(key + ".", field, kWebhookKeys);
        else
            read_webhook_field(r, w, field, v, key + "." + field);
    }
    if (w.url.empty()) r.fail(key, "expected url = \"http://...\": where the events are POSTed");
    if (w.retry_max_ms < w.retry_initial_ms) r.fail(key + ".retry_max", "expected at least retry_initial");
    return w;
}

std::string write_webhook(const events::WebhookOptions& w) {
    std::string t = "{ url = " + toml_string(w.url) + ", batch_size = " + std::to_string(w.batch_size) +
                    ", max_batch_delay = " + toml_delay(w.max_batch_delay_ms) +
                    ", timeout = " + toml_delay(w.timeout_ms) +
                    ", retry_initial = " + toml_delay(w.retry_initial_ms) +
                    ", retry_max = " + toml_delay(w.retry_max_ms);
    if (!w.headers.empty()) {
        std::string h;
        for (const auto& [name, value] : w.headers) h += (h.empty() ? "" : ", ") + toml_string(name) + " = " + toml_string(value);
        t += ", headers = { " + h + " }";
    }
    return t + " }";
}

}  // namespace

void add_events_keys(std::vector<Key>& t) {
    t.push_back(integer("events.max_events", "the event log keeps at most this many events (oldest dropped first)",
                        RP_FIELD(events.max_events), 1000, 1000000000));
    t.push_back(duration("events.retention", "... and none older than this", RP_FIELD(events.retention_seconds), false));
    t.push_back(string("events.file", "append every event to this file as JSON lines; \"\" = none",
                       RP_FIELD(events.file)));
    // Tables last: a plain key after them would reopen [events] in --defaults.
    t.push_back(named_tables("events.webhooks",
                             "NAME = { url = \"http://...\", batch_size, max_batch_delay, timeout, headers = {...}, "
                             "retry_initial, retry_max }: POST events as JSON lines",
                             RP_FIELD(events.webhooks), read_webhook, write_webhook));
}

}  // namespace ringpost::config
