// An event as its JSON line (event.hpp; the schema is docs/EVENTS.md).
#include <ctime>

#include <nlohmann/json.hpp>

#include "store/event.hpp"

namespace ringpost::store {

std::string event_domain(std::string_view address) {
    const size_t at = address.rfind('@');
    if (at == std::string_view::npos) return {};
    std::string d(address.substr(at + 1));
    for (char& c : d)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return d;
}

std::string rfc3339_ms(int64_t unix_ms) {
    const time_t secs = static_cast<time_t>(unix_ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(unix_ms % 1000));
    return buf;
}

std::string event_json(uint64_t id, const Event& e) {
    // ordered_json: the fields in schema order, which makes the lines easy
    // to read by eye; consumers must not depend on it.
    nlohmann::ordered_json j;
    j["id"] = id;
    j["time"] = rfc3339_ms(e.time_ms);
    j["type"] = e.type;
    auto text = [&](const char* name, const std::string& v) {
        if (!v.empty()) j[name] = v;
    };
    text("queue_id", e.queue_id);
    // The sender is given whenever there is a message: "" is the null sender.
    if (!e.queue_id.empty()) j["sender"] = e.sender;
    else text("sender", e.sender);
    text("recipient", e.recipient);
    text("domain", event_domain(e.recipient));
    text("site", e.site);
    text("relay", e.relay);
    text("source", e.source);
    text("pool", e.pool);
    if (e.code != 0) j["code"] = e.code;
    text("enhanced_code", e.enhanced_code);
    text("response", e.response);
    text("bounce_class", e.bounce_class);
    if (e.attempt != 0) j["attempt"] = e.attempt;
    if (e.size != 0) j["size"] = e.size;
    text("client", e.client);
    text("stage", e.stage);
    text("dsn_queue_id", e.dsn_queue_id);
    if (e.until != 0) j["until"] = rfc3339_ms(e.until * 1000);
    text("reason", e.reason);
    // Invalid UTF-8 (a server's reply may carry anything) becomes U+FFFD
    // instead of an exception.
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace ringpost::store
