// The body of POST /api/v1/messages (docs/HTTP.md "Injection"), in the
// shape KumoMTA's injection API takes, so that senders can switch:
//
//   {"envelope_sender": "bounces@example.com",
//    "recipients": [{"email": "ann@example.net", "name": "Ann",
//                    "substitutions": {"first": "Ann"}}, "bob@example.net"],
//    "substitutions": {"company": "Example"},
//    "content": "Subject: ...\r\n\r\nraw RFC 5322 text"
//            or {"from": {"email": ..., "name": ...}, "subject": ...,
//                "text_body": ..., "html_body": ..., "reply_to": {...},
//                "headers": {"List-Unsubscribe": "<...>"},
//                "attachments": [{"data": ..., "base64": true,
//                                 "content_type": ..., "file_name": ...,
//                                 "content_id": ...}]}}
//
// Turned into the messages to accept: structured content gives one
// message per recipient (its own To:, nobody sees the others); raw content
// one message for all recipients (split every `max_recipients`, as an SMTP
// client splits), unless substitutions are given, then one per recipient.
// "{{ key }}" in the subject, bodies or raw content is replaced by the
// recipient's substitution, else the request's; a key with no value is an
// error, not an empty string (a clear 400 beats mail with a hole in it).
// Pure: no I/O; the HTTP route hands the messages to the Injector.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace ringpost::api {

struct InjectionMessage {
    std::string sender;                    // "" = the null reverse-path
    std::vector<std::string> recipients;
    std::string content;                   // RFC 5322, CRLF line ends
};

struct InjectionLimits {
    uint32_t max_recipients = 1000;        // per message ([smtp] max_recipients)
    uint32_t max_request_recipients = 10000;
};

// The messages, or an error whose message names the JSON field at fault
// ("recipients[2].email: ...").
Result<std::vector<InjectionMessage>> parse_injection(std::string_view body, const InjectionLimits& limits,
                                                      uint64_t boundary_seed);

}  // namespace ringpost::api
