// From the configuration to the protocol front ends' settings: what each
// SMTP, POP3, IMAP and HTTP session and connection driver is given. The fields
// the driver sets per connection (STARTTLS, AUTH, submission, loopback
// plain-text logins) keep their struct defaults here.
#pragma once

#include "config/config.hpp"
#include "delivery/rate.hpp"
#include "http/connection.hpp"
#include "imap/connection.hpp"
#include "pop3/connection.hpp"
#include "smtp/connection.hpp"

namespace ringpost::config {

smtp::SessionConfig smtp_session_config(const Config& config);
smtp::Timeouts smtp_timeouts(const Config& config);
pop3::SessionConfig pop3_session_config(const Config& config);
pop3::Timeouts pop3_timeouts(const Config& config);
imap::SessionConfig imap_session_config(const Config& config);
imap::Timeouts imap_timeouts(const Config& config);
http::ParserLimits http_limits(const Config& config);
http::Timeouts http_timeouts(const Config& config);
// [http] max_message_rate (checked when the file was read).
delivery::Rate http_message_rate(const Config& config);

}  // namespace ringpost::config
