// An event as its JSON line (event.hpp; the schema is docs/EVENTS.md).
// Written by hand, in the bytes nlohmann::ordered_json::dump made before
// (tests/unit/store/event_log_test.cpp compares the two): a sink reads
// thousands of events a second, and an ordered_json object costs an
// allocation per field. Strings that need escaping, or may be invalid
// UTF-8, still go through nlohmann's serializer, for the same bytes.
#include <charconv>
#include <ctime>

#include <nlohmann/json.hpp>

#include "store/event.hpp"

namespace ringpost::store {
namespace {

// Printable ASCII without '"' and '\\': copied as it is by any JSON writer.
bool plain(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return false;
    return true;
}

class Line {
public:
    explicit Line(size_t reserve) { out_.reserve(reserve); }

    void key(std::string_view name) {
        out_ += first_ ? "{\"" : ",\"";
        first_ = false;
        out_ += name;
        out_ += "\":";
    }
    void text(std::string_view name, std::string_view v) {
        key(name);
        if (plain(v)) {
            out_ += '"';
            out_ += v;
            out_ += '"';
        } else {
            // Invalid UTF-8 (a server's reply may carry anything) becomes
            // U+FFFD instead of an exception.
            out_ += nlohmann::json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        }
    }
    void text_if(std::string_view name, std::string_view v) {
        if (!v.empty()) text(name, v);
    }
    void number(std::string_view name, uint64_t v) {
        key(name);
        char buf[24];
        out_.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
    }
    void number_if(std::string_view name, uint64_t v) {
        if (v != 0) number(name, v);
    }
    std::string take() {
        out_ += '}';
        return std::move(out_);
    }

private:
    std::string out_;
    bool first_ = true;
};

}  // namespace

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
    // The fields in schema order, which makes the lines easy to read by
    // eye; consumers must not depend on it.
    Line j(160 + e.queue_id.size() + e.sender.size() + 2 * e.recipient.size() + e.response.size() + e.relay.size());
    j.number("id", id);
    j.text("time", rfc3339_ms(e.time_ms));
    j.text("type", e.type);
    j.text_if("queue_id", e.queue_id);
    // The sender is given whenever there is a message: "" is the null sender.
    if (!e.queue_id.empty()) j.text("sender", e.sender);
    else j.text_if("sender", e.sender);
    j.text_if("recipient", e.recipient);
    j.text_if("domain", event_domain(e.recipient));
    j.text_if("site", e.site);
    j.text_if("relay", e.relay);
    j.text_if("source", e.source);
    j.text_if("pool", e.pool);
    j.number_if("code", e.code);
    j.text_if("enhanced_code", e.enhanced_code);
    j.text_if("response", e.response);
    j.text_if("bounce_class", e.bounce_class);
    j.number_if("attempt", e.attempt);
    j.number_if("size", e.size);
    j.text_if("client", e.client);
    j.text_if("stage", e.stage);
    j.text_if("dsn_queue_id", e.dsn_queue_id);
    if (e.until != 0) j.text("until", rfc3339_ms(e.until * 1000));
    j.text_if("reason", e.reason);
    j.text_if("milter", e.milter);
    return j.take();
}

}  // namespace ringpost::store
