// Password checks for SMTP AUTH (RFC 4954), asynchronous: the driver
// (src/smtp/connection) awaits one per AUTH exchange the session completes
// (Event::kAuth). Implemented in src/auth over the store's users, with the
// hashing on a blocking pool and failures slowed down per client address;
// the unit tests of the session need none of it (the session only sees
// auth::Status).
#pragma once

#include <string>

#include "io/task.hpp"
#include "smtp/session.hpp"

namespace ringpost::smtp {

class Authenticator {
public:
    virtual ~Authenticator() = default;
    // May take seconds on a failure (the per-IP delay); never throws.
    virtual io::Task<auth::Outcome> authenticate(std::string user, std::string password, std::string client_ip) = 0;
};

}  // namespace ringpost::smtp
