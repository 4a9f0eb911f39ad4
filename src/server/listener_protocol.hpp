// What a listener serves (the protocol, and whether TLS comes first), which
// service's connection limits it counts against, whether a PROXY protocol
// header comes first, and what a client over those limits is told. Pure,
// for the worker's accept path.
#pragma once

#include "config/config.hpp"
#include "server/connection_limiter.hpp"

namespace ringpost::server {

enum class Protocol { kSmtp, kSubmission, kSmtps, kPop3, kPop3s, kImap, kImaps, kHttp, kHttps };

bool is_implicit_tls(Protocol p);
const char* protocol_name(Protocol p);   // "smtp", "smtps", ... for logs

// The implicit-TLS listeners count with their service, as Dovecot's
// inet_listeners do with theirs (imaps is a listener of imap-login).
ConnectionLimiter& limiter_for(const ServiceLimiters& limiters, Protocol p);

// The listener's proxy_protocol key: its table's own ([smtps] for smtps,
// [http] for http and https alike).
bool proxy_protocol(const config::Config& config, Protocol p);

// One line with CRLF in the client's protocol: SMTP's 421 (RFC 5321 3.8),
// POP3's -ERR with RFC 3206's SYS/TEMP, IMAP's BYE greeting (RFC 3501
// 7.1.5) with RFC 5530's UNAVAILABLE, HTTP's 503 with a JSON error and
// Connection: close. `verdict` is not kOk.
const char* refusal_reply(Protocol p, ConnectionLimiter::Verdict verdict);

}  // namespace ringpost::server
