// The outcome of a password check: one type for every protocol's login
// (SMTP AUTH, POP3 USER/PASS and AUTH, IMAP LOGIN and AUTHENTICATE) and for
// the shared check behind them (auth::check_login). Header only and
// dependency free, so that the protocol sessions (src/smtp, src/pop3,
// src/imap), which sit below src/auth, can name it without linking it.
#pragma once

#include <cstdint>
#include <string>

namespace ringpost::auth {

enum class Status : uint8_t {
    kOk,
    kBadCredentials,   // unknown user and wrong password look the same
    kTempFail,         // the store or the password check is unavailable
};

struct Outcome {
    Status status = Status::kBadCredentials;
    // With kOk: the canonical (lower-cased, as stored) login, used for every
    // later call of the session.
    std::string user;
};

}  // namespace ringpost::auth
