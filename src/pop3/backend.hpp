// What the POP3 driver needs from the mail store: check credentials, open
// (and lock) a maildrop, read a message, remove messages, unlock. The
// application implements it over the store (src/server); the driver's tests
// use an in-memory fake. Every call is made from the connection's ring
// thread; a coroutine that must block (RocksDB, password hashing) hands
// the work to an io::BlockingPool and resumes on the ring.
#pragma once

#include <string>
#include <vector>

#include "auth/outcome.hpp"
#include "io/task.hpp"
#include "pop3/maildrop.hpp"
#include "util/result.hpp"

namespace ringpost::pop3 {

class Backend {
public:
    virtual ~Backend() = default;

    // Checks the password. The backend applies its own per-IP delays and
    // failure accounting, and spends the same time on an unknown user as on
    // a wrong password (the session never reveals which it was).
    virtual io::Task<auth::Outcome> authenticate(std::string user, std::string password, std::string client_ip) = 0;

    // Takes the exclusive lock on the maildrop (RFC 1939 4) and lists it.
    // kInUse when another session holds it.
    virtual io::Task<Result<std::vector<MaildropEntry>>> open_maildrop(std::string user) = 0;

    // The whole message, as stored (CRLF line ends, not byte-stuffed).
    // kMessageGone when it was removed meanwhile (IMAP EXPUNGE, MOVE).
    virtual io::Task<Result<std::string>> fetch(std::string user, std::string uid) = 0;

    // Removes the messages for good (the UPDATE state, RFC 1939 6); durable
    // before it returns. UIDs already gone are not an error.
    virtual io::Task<Result<void>> remove(std::string user, std::vector<std::string> uids) = 0;

    // Releases the lock taken by open_maildrop. Idempotent; must not block
    // (the driver calls it on every exit path, also from a destructor).
    virtual void close_maildrop(std::string user) = 0;
};

}  // namespace ringpost::pop3
