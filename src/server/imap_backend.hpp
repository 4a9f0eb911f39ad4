// imap::Backend over the store: logins through the shared auth::check_login
// (mail_login.hpp), every store call on the blocking pool (nothing here
// blocks a ring), default mailboxes ensured at login, and a MailboxHub
// notice after every write so that other sessions see it.
#pragma once

#include "auth/login_throttle.hpp"
#include "server/mailbox_hub.hpp"
#include "imap/backend.hpp"
#include "io/blocking_pool.hpp"

namespace ringpost::store {
class Store;
}

namespace ringpost::server {

class StoreImapBackend final : public imap::Backend {
public:
    // Store calls on `pool`, password checks on `login_pool` (see StorePop3Backend).
    StoreImapBackend(store::Store& store, io::BlockingPool& pool, io::BlockingPool& login_pool,
                     auth::LoginThrottle& throttle, MailboxHub& hub)
        : store_(store), pool_(pool), login_pool_(login_pool), throttle_(throttle), hub_(hub) {}

    io::Task<auth::Outcome> login(std::string user, std::string password, std::string client_ip) override;
    io::Task<Result<std::vector<imap::MailboxStatus>>> list_mailboxes(std::string user) override;
    io::Task<Result<std::optional<imap::MailboxStatus>>> mailbox_status(std::string user, std::string name) override;
    io::Task<Result<void>> create_mailbox(std::string user, std::string name, std::string special_use) override;
    io::Task<Result<void>> delete_mailbox(std::string user, std::string name) override;
    io::Task<Result<void>> rename_mailbox(std::string user, std::string from, std::string to) override;
    io::Task<Result<void>> subscribe(std::string user, std::string name, bool subscribed) override;
    io::Task<Result<imap::MailboxSnapshot>> list_messages(std::string user, std::string mailbox) override;
    io::Task<Result<uint32_t>> claim_recent(std::string user, std::string mailbox, uint32_t uidvalidity,
                                            uint32_t upto) override;
    io::Task<Result<std::optional<imap::MessageContent>>> read_message(std::string user, std::string mailbox,
                                                                       uint32_t uid, bool summary,
                                                                       bool data) override;
    io::Task<Result<std::optional<std::string>>> read_range(std::string user, std::string mailbox, uint32_t uid,
                                                            uint64_t offset, uint64_t length) override;
    io::Task<Result<imap::FlagChanges>> change_flags(std::string user, std::string mailbox, std::vector<uint32_t> uids,
                                                     uint32_t add, uint32_t remove, bool replace,
                                                     const void* origin) override;
    io::Task<Result<std::vector<uint32_t>>> expunge(std::string user, std::string mailbox,
                                                    std::optional<std::vector<uint32_t>> uids,
                                                    bool require_deleted, const void* origin) override;
    io::Task<Result<imap::CopyUids>> copy(std::string user, std::string from, std::vector<uint32_t> uids,
                                          std::string to, bool move, const void* origin) override;
    io::Task<Result<imap::AppendUid>> append(std::string user, std::string mailbox, std::string data, uint32_t flags,
                                             int64_t internal_date, const void* origin) override;
    io::Task<Result<imap::KeywordBits>> keyword_flags(std::string user, std::string mailbox,
                                                      std::vector<std::string> names, bool define) override;
    io::Task<Result<void>> compute(std::string user, std::function<void()> work) override;
    std::shared_ptr<void> watch(std::string user, std::string mailbox, std::function<void()> on_change) override;

private:
    store::Store& store_;
    io::BlockingPool& pool_;
    io::BlockingPool& login_pool_;
    auth::LoginThrottle& throttle_;
    MailboxHub& hub_;
};

}  // namespace ringpost::server
