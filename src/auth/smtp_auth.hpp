// SMTP AUTH's password check (smtp::Authenticator) over the store's users:
// the same check_login as POP3 and IMAP (yescrypt on the login pool, the
// same cost for unknown users, failures delayed per client IP by the shared
// LoginThrottle, so guessing over SMTP and POP3 counts together).
#pragma once

#include "auth/login_throttle.hpp"
#include "io/blocking_pool.hpp"
#include "smtp/authenticator.hpp"

namespace ringpost::store {
class Users;
}

namespace ringpost::auth {

class StoreSmtpAuthenticator final : public smtp::Authenticator {
public:
    StoreSmtpAuthenticator(store::Users& users, io::BlockingPool& login_pool, LoginThrottle& throttle)
        : users_(users), login_pool_(login_pool), throttle_(throttle) {}

    io::Task<Outcome> authenticate(std::string user, std::string password, std::string client_ip) override;

private:
    store::Users& users_;
    io::BlockingPool& login_pool_;
    LoginThrottle& throttle_;
};

}  // namespace ringpost::auth
