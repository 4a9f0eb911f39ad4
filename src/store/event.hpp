// Delivery events (docs/EVENTS.md): what happened to a message, a
// recipient or a site, as the event log keeps it and its sinks (webhooks,
// a file: src/events) push it out. Plain data; the store keeps it as a
// binary record under the sequence id it assigns (event_record.hpp) and
// makes the JSON line (event_json.cpp) when a sink reads it.
//
// Events that report a state change are appended in the same WriteBatch
// as that change: "received" by the accept (accept.cpp), the delivery
// results and "dsn" by the outcome (OutcomeRequest::events), "suspended" /
// "resumed" by `queue suspend|resume` (suspensions.cpp), "held" by the
// accept of a quarantined message or `queue hold`, "released" by `queue
// release` (spool_hold.cpp). The others (an
// SMTP rejection, a site suspended or throttled by shaping automation)
// travel alone as an EventRequest and join the next group commit.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringpost::store {

struct Event {
    // received, delivered, deferred, failed, expired, dsn, rejected,
    // suspended, resumed, throttled, deleted, held, released.
    std::string type;
    int64_t time_ms = 0;          // unix milliseconds; 0 = when appended
    std::string queue_id;
    std::string sender;           // the envelope sender ("" = null sender)
    std::string recipient;
    std::string site;             // the shaping site, or the suspended target
    std::string relay;            // host[ip]:port, "local", "none"
    std::string source;           // egress source
    std::string pool;             // egress pool
    uint16_t code = 0;            // reply code; 0 = none (decided here)
    std::string enhanced_code;    // "5.1.1"
    std::string response;         // the reply text or local reason
    std::string bounce_class;     // failed, deferred, expired
    uint32_t attempt = 0;         // delivery attempt number
    uint64_t size = 0;            // message bytes
    // rejected: who, at which SMTP stage ("RCPT"), and the whole reply.
    std::string client;
    std::string stage;
    // dsn: the notification's own queue ID.
    std::string dsn_queue_id;
    // suspended, throttled: until when (unix seconds; 0 = no end), why.
    int64_t until = 0;
    std::string reason;
    // held: the milter that quarantined the message ("" = an operator).
    std::string milter;
};

// The recipient's domain, lower-cased ("" without an '@').
std::string event_domain(std::string_view address);
// The JSON object of `event` with id `id`, on one line without a newline;
// fields that are empty or 0 are left out (but id, time and type).
std::string event_json(uint64_t id, const Event& event);
// "2026-12-07T08:38:18.123Z"
std::string rfc3339_ms(int64_t unix_ms);

}  // namespace ringpost::store
