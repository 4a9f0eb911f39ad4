// Password logins of the mailbox front ends (POP3, IMAP), shared: plain-text
// passwords only from loopback until TLS (issue 5), the check on the
// blocking pool, the same time spent on an unknown user as on a wrong
// password, and failures slowed down per client IP (LoginThrottle).
#pragma once

#include <string>

#include "app/login_throttle.hpp"
#include "io/blocking_pool.hpp"
#include "io/task.hpp"

namespace ringpost::store {
class Store;
}

namespace ringpost::app {

enum class LoginOutcome { kOk, kBadCredentials, kTempFail };

struct LoginCheck {
    LoginOutcome outcome = LoginOutcome::kBadCredentials;
    std::string user;   // lower-cased, on success
};

// `proto` names the front end in logs ("pop3", "imap").
io::Task<LoginCheck> check_login(store::Store& store, io::BlockingPool& pool, LoginThrottle& throttle,
                                 const char* proto, std::string user, std::string password, std::string client_ip);

// Until TLS (issue 5), passwords may only cross loopback connections.
bool is_loopback_ip(std::string_view ip);

}  // namespace ringpost::app
