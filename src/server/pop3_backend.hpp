// pop3::Backend over the store: the users CF for logins (yescrypt hashes,
// checked on the blocking pool, failures slowed down per client IP), the
// user's INBOX as the maildrop (UIDL = "<uidvalidity>.<uid>", stable for as
// long as the mailbox exists), an exclusive in-memory lock per maildrop, and
// deletions applied with one synced write at QUIT. Every store call runs on
// the blocking pool; nothing here blocks a ring.
#pragma once

#include "auth/login_throttle.hpp"
#include "auth/mail_login.hpp"
#include "server/maildrop_locks.hpp"
#include "io/blocking_pool.hpp"
#include "pop3/backend.hpp"

namespace ringpost::store {
class Mailboxes;
class Users;
}

namespace ringpost::server {

class MailboxHub;

class StorePop3Backend final : public pop3::Backend {
public:
    // Store calls run on `pool`, password checks on `login_pool` (so that a
    // burst of logins, milliseconds of hashing each, never queues the reads
    // of users already logged in). `hub` (may be null) hears of deletions,
    // so IMAP sessions of the user see them.
    StorePop3Backend(store::Users& users, store::Mailboxes& mailboxes, io::BlockingPool& pool,
                     io::BlockingPool& login_pool, MaildropLocks& locks, auth::LoginThrottle& throttle,
                     MailboxHub* hub = nullptr)
        : users_(users), mailboxes_(mailboxes), pool_(pool), login_pool_(login_pool), locks_(locks),
          throttle_(throttle), hub_(hub) {}

    io::Task<auth::Outcome> authenticate(std::string user, std::string password, std::string client_ip) override;
    io::Task<Result<std::vector<pop3::MaildropEntry>>> open_maildrop(std::string user) override;
    io::Task<Result<std::string>> fetch(std::string user, std::string uid) override;
    io::Task<Result<void>> remove(std::string user, std::vector<std::string> uids) override;
    void close_maildrop(std::string user) override;

private:
    store::Users& users_;
    store::Mailboxes& mailboxes_;
    io::BlockingPool& pool_;
    io::BlockingPool& login_pool_;
    MaildropLocks& locks_;
    auth::LoginThrottle& throttle_;
    MailboxHub* hub_;
};

// "<uidvalidity>.<uid>" -> uid; 0 if malformed.
uint32_t uid_of_uidl(std::string_view uidl);

}  // namespace ringpost::server
