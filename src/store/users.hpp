// The users concern of the store (Store::users()): the accounts POP3, IMAP
// and SMTP AUTH log in to and local recipients are checked against. Blocking
// calls for the CLI, the admin socket thread and the login pool -- except
// exists(), a point read served from memory that is safe on a ring thread.
// Writes are requests of the commit stage (see store.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace ringpost::store {

struct StoreImpl;

struct UserRecord {
    std::string address;        // lower-cased
    std::string password_hash;  // crypt(3) string, e.g. "$y$..."; empty = no password (no login)
    int64_t created = 0;
};

class Users {
public:
    Users(const Users&) = delete;
    Users& operator=(const Users&) = delete;

    // Error if it exists. Creates the default mailboxes in the same batch
    // (Mailboxes::ensure_default_mailboxes).
    Result<void> add(const UserRecord& user);
    // Error if missing. Removes the user with every mailbox and message of
    // theirs, dropping the messages' body references.
    Result<void> remove(std::string_view address);
    Result<std::vector<UserRecord>> list();
    Result<std::optional<UserRecord>> get(std::string_view address);
    // Fast existence check used on RCPT TO; safe on a ring thread.
    bool exists(std::string_view address);

private:
    friend class Store;
    explicit Users(StoreImpl& impl) : impl_(impl) {}
    StoreImpl& impl_;
};

}  // namespace ringpost::store
