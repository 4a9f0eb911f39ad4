// Password logins (POP3, IMAP, SMTP AUTH), shared: the check on the
// blocking pool, the same time spent on an unknown user as on a wrong
// password, and failures slowed down per client IP (LoginThrottle). Whether
// a password may be sent on a connection (TLS, or loopback) is the protocol
// session's rule, applied before it asks.
#pragma once

#include <string>

#include "auth/login_throttle.hpp"
#include "auth/outcome.hpp"
#include "io/blocking_pool.hpp"
#include "io/task.hpp"

namespace ringpost::store {
class Users;
}

namespace ringpost::auth {

// `proto` names the front end in logs ("pop3", "imap", "smtp").
io::Task<Outcome> check_login(store::Users& users, io::BlockingPool& pool, LoginThrottle& throttle,
                                 const char* proto, std::string user, std::string password, std::string client_ip);
// Registers ringpost_logins_total now (check_login counts into it), so that a
// scrape shows it before the first login.
void register_login_metrics();


}  // namespace ringpost::auth
