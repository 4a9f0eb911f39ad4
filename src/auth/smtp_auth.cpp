#include "auth/smtp_auth.hpp"

#include "auth/mail_login.hpp"

namespace ringpost::auth {

io::Task<Outcome> StoreSmtpAuthenticator::authenticate(std::string user, std::string password, std::string client_ip) {
    // Named first, then awaited: g++ 12 destroys a coroutine call's
    // argument temporaries inside a co_await expression (io/blocking_pool.hpp).
    auto checking = check_login(users_, login_pool_, throttle_, "smtp", std::move(user), std::move(password),
                                    std::move(client_ip));
    co_return co_await std::move(checking);
}

}  // namespace ringpost::auth
