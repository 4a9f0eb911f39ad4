#include "auth/smtp_auth.hpp"

#include "auth/mail_login.hpp"

namespace ringpost::auth {

io::Task<smtp::AuthResult> StoreSmtpAuthenticator::authenticate(std::string user, std::string password,
                                                                std::string client_ip) {
    auto checking = check_login(store_, login_pool_, throttle_, "smtp", std::move(user), std::move(password),
                                std::move(client_ip));
    LoginCheck check = co_await std::move(checking);
    smtp::AuthResult result;
    result.status = check.outcome == LoginOutcome::kOk         ? smtp::AuthStatus::kOk
                    : check.outcome == LoginOutcome::kTempFail ? smtp::AuthStatus::kTempFail
                                                               : smtp::AuthStatus::kBadCredentials;
    result.user = std::move(check.user);
    co_return result;
}

}  // namespace ringpost::auth
