#include "server/listener_protocol.hpp"

namespace ringpost::server {

bool is_implicit_tls(Protocol p) {
    return p == Protocol::kSmtps || p == Protocol::kPop3s || p == Protocol::kImaps || p == Protocol::kHttps;
}

const char* protocol_name(Protocol p) {
    switch (p) {
        case Protocol::kSmtp: return "smtp";
        case Protocol::kSubmission: return "submission";
        case Protocol::kSmtps: return "smtps";
        case Protocol::kPop3: return "pop3";
        case Protocol::kPop3s: return "pop3s";
        case Protocol::kImap: return "imap";
        case Protocol::kImaps: return "imaps";
        case Protocol::kHttp: return "http";
        case Protocol::kHttps: return "https";
    }
    return "?";
}

ConnectionLimiter& limiter_for(const ServiceLimiters& limiters, Protocol p) {
    switch (p) {
        case Protocol::kSmtp: return *limiters.smtp;
        case Protocol::kSubmission:
        case Protocol::kSmtps: return *limiters.submission;
        case Protocol::kPop3:
        case Protocol::kPop3s: return *limiters.pop3;
        case Protocol::kHttp:
        case Protocol::kHttps: return *limiters.http;
        case Protocol::kImap:
        case Protocol::kImaps: break;
    }
    return *limiters.imap;
}

bool proxy_protocol(const config::Config& c, Protocol p) {
    switch (p) {
        case Protocol::kSmtp: return c.smtp.proxy_protocol;
        case Protocol::kSubmission: return c.submission.proxy_protocol;
        case Protocol::kSmtps: return c.smtps.proxy_protocol;
        case Protocol::kPop3: return c.pop3.proxy_protocol;
        case Protocol::kPop3s: return c.pop3s.proxy_protocol;
        case Protocol::kImap: return c.imap.proxy_protocol;
        case Protocol::kImaps: return c.imaps.proxy_protocol;
        case Protocol::kHttp:
        case Protocol::kHttps: break;
    }
    return c.http.proxy_protocol;
}

const char* refusal_reply(Protocol p, ConnectionLimiter::Verdict verdict) {
    const bool per_ip = verdict == ConnectionLimiter::Verdict::kTooManyFromIp;
    switch (p) {
        case Protocol::kPop3:
        case Protocol::kPop3s:
            return per_ip ? "-ERR [SYS/TEMP] Too many connections from your address\r\n"
                          : "-ERR [SYS/TEMP] Too many connections, try again later\r\n";
        case Protocol::kImap:
        case Protocol::kImaps:
            return per_ip ? "* BYE [UNAVAILABLE] Too many connections from your address\r\n"
                          : "* BYE [UNAVAILABLE] Too many connections, try again later\r\n";
        case Protocol::kHttp:
        case Protocol::kHttps:
            return per_ip ? "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                            "Content-Length: 52\r\nConnection: close\r\n\r\n"
                            "{\"error\": \"too many connections from your address\"}\n"
                          : "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                            "Content-Length: 51\r\nConnection: close\r\n\r\n"
                            "{\"error\": \"too many connections, try again later\"}\n";
        case Protocol::kSmtp:
        case Protocol::kSubmission:
        case Protocol::kSmtps:
            break;
    }
    return per_ip ? "421 4.7.0 Error: too many connections from your address\r\n"
                  : "421 4.7.0 Error: too many connections, try again later\r\n";
}

}  // namespace ringpost::server
