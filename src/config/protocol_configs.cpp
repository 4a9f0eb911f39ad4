#include "config/protocol_configs.hpp"

#include <chrono>

namespace ringpost::config {

smtp::SessionConfig smtp_session_config(const Config& config) {
    smtp::SessionConfig s;
    s.hostname = config.hostname;
    // STARTTLS, AUTH and submission are set per connection by the driver.
    s.allow_plaintext_auth = config.smtp.allow_plaintext_auth;
    s.require_sender_match = config.submission.require_sender_match;
    auto& l = s.limits;
    l.max_message_size = config.smtp.max_message_size;
    l.max_recipients = config.smtp.max_recipients;
    l.max_command_line = config.smtp.max_command_line;
    l.max_data_line = config.smtp.max_data_line;
    l.soft_error_limit = config.smtp.soft_error_limit;
    l.hard_error_limit = config.smtp.hard_error_limit;
    l.junk_command_limit = config.smtp.junk_command_limit;
    l.error_delay = std::chrono::milliseconds(config.smtp.error_delay_ms);
    return s;
}

smtp::Timeouts smtp_timeouts(const Config& config) {
    smtp::Timeouts t;
    t.command = std::chrono::seconds(config.smtp.command_timeout);
    t.data = std::chrono::seconds(config.smtp.data_timeout);
    t.min_data_rate = config.smtp.min_data_rate;
    // A client that stops reading our reply gets as long as one that stops writing a command.
    t.send = std::chrono::seconds(config.smtp.command_timeout);
    return t;
}

pop3::SessionConfig pop3_session_config(const Config& config) {
    pop3::SessionConfig s;
    s.limits.max_bad_commands = config.pop3.max_bad_commands;
    s.limits.max_auth_failures = config.pop3.max_auth_failures;
    return s;
}

pop3::Timeouts pop3_timeouts(const Config& config) {
    pop3::Timeouts t;
    t.idle = std::chrono::seconds(config.pop3.idle_timeout);
    return t;
}

imap::SessionConfig imap_session_config(const Config& config) {
    imap::SessionConfig s;
    s.hostname = config.hostname;
    // Plain-text logins over TLS, or from loopback (the driver grants it).
    s.plaintext_allowed = false;
    s.max_bad_commands = config.imap.max_bad_commands;
    s.command_time_limit = std::chrono::seconds(config.imap.command_time_limit);
    return s;
}

imap::Timeouts imap_timeouts(const Config& config) {
    imap::Timeouts t;
    t.idle = std::chrono::seconds(config.imap.idle_timeout);
    return t;
}

http::ParserLimits http_limits(const Config& config) {
    http::ParserLimits l;
    l.max_body = config.http.max_body_size;
    return l;
}

http::Timeouts http_timeouts(const Config& config) {
    http::Timeouts t;
    t.idle = std::chrono::seconds(config.http.idle_timeout);
    return t;
}

delivery::Rate http_message_rate(const Config& config) {
    auto rate = delivery::parse_rate(config.http.max_message_rate);
    return rate ? *rate : delivery::Rate{};
}

}  // namespace ringpost::config
