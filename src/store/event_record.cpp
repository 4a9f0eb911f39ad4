// Binary event records (event_record.hpp). The fields in Event's order,
// strings as varint length + bytes; a later version may append fields,
// which this reader ignores (as records.hpp's decoders do).
#include "store/event_record.hpp"

#include "store/keys.hpp"
#include "store/record_codec.hpp"

namespace ringpost::store {

std::string encode_event_value(const Event& e) {
    std::string prefix;
    prefix.reserve(64 + e.type.size() + e.queue_id.size() + e.sender.size() + e.recipient.size() + e.response.size());
    keys::put_be64(prefix, static_cast<uint64_t>(e.time_ms));
    Writer w;
    w.start_from(std::move(prefix));
    w.u8(kEventRecordVersion);
    for (const std::string* s : {&e.type, &e.queue_id, &e.sender, &e.recipient, &e.site, &e.relay, &e.source, &e.pool})
        w.str(*s);
    w.varint(e.code);
    w.str(e.enhanced_code);
    w.str(e.response);
    w.str(e.bounce_class);
    w.varint(e.attempt);
    w.varint(e.size);
    w.str(e.client);
    w.str(e.stage);
    w.str(e.dsn_queue_id);
    w.svarint(e.until);
    w.str(e.reason);
    w.str(e.milter);   // appended later: older records end before it
    return w.take();
}

Result<Event> decode_event_value(std::string_view value) {
    if (value.size() < 9) return make_error("event record too short");
    Event e;
    e.time_ms = static_cast<int64_t>(keys::get_be64(value));
    Reader r(value.substr(8));
    if (r.u8() != kEventRecordVersion) return make_error("event record of an unknown version");
    for (std::string* s : {&e.type, &e.queue_id, &e.sender, &e.recipient, &e.site, &e.relay, &e.source, &e.pool})
        *s = r.str();
    const uint64_t code = r.varint();
    e.enhanced_code = r.str();
    e.response = r.str();
    e.bounce_class = r.str();
    e.attempt = r.u32();
    e.size = r.varint();
    e.client = r.str();
    e.stage = r.str();
    e.dsn_queue_id = r.str();
    e.until = r.svarint();
    e.reason = r.str();
    if (r.ok() && !r.at_end()) e.milter = r.str();
    if (!r.ok() || code > UINT16_MAX) return make_error("corrupt event record");
    e.code = static_cast<uint16_t>(code);
    return e;
}

Result<std::string> stored_event_json(uint64_t id, std::string_view value) {
    if (value.size() > 8 && value[8] == '{') return std::string(value.substr(8));
    auto event = decode_event_value(value);
    if (!event) return event.error();
    return event_json(id, *event);
}

}  // namespace ringpost::store
