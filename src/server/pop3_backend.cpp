#include "server/pop3_backend.hpp"

#include <charconv>

#include "auth/mail_login.hpp"
#include "server/mailbox_hub.hpp"
#include "io/ops.hpp"
#include "store/keys.hpp"
#include "store/mailboxes.hpp"
#include "util/log.hpp"

namespace ringpost::server {
namespace {

constexpr std::string_view kInbox = "INBOX";

}  // namespace

uint32_t uid_of_uidl(std::string_view uidl) {
    size_t dot = uidl.find('.');
    if (dot == std::string_view::npos) return 0;
    std::string_view digits = uidl.substr(dot + 1);
    uint32_t uid = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), uid);
    if (ec != std::errc() || end != digits.data() + digits.size()) return 0;
    return uid;
}

io::Task<auth::Outcome> StorePop3Backend::authenticate(std::string user, std::string password,
                                                      std::string client_ip) {
    // Named first, then awaited: g++ 12 destroys a coroutine call's
    // argument temporaries inside a co_await expression (io/blocking_pool.hpp).
    auto checking = auth::check_login(users_, login_pool_, throttle_, "pop3", std::move(user), std::move(password),
                                    std::move(client_ip));
    co_return co_await std::move(checking);
}

io::Task<Result<std::vector<pop3::MaildropEntry>>> StorePop3Backend::open_maildrop(std::string user) {
    if (!locks_.try_lock(user)) co_return make_error("maildrop already locked", pop3::kInUse);
    auto listing = [this, &user]() -> Result<std::vector<pop3::MaildropEntry>> {
        auto contents = mailboxes_.list_messages(user, kInbox);
        std::vector<pop3::MaildropEntry> entries;
        if (!contents) {
            // No INBOX yet (no mail ever arrived): an empty maildrop.
            if (contents.error().code == store::kNoSuchMailbox) return entries;
            return contents.error();
        }
        const std::string prefix = std::to_string(contents->info.uidvalidity) + ".";
        for (const auto& m : contents->messages) entries.push_back({prefix + std::to_string(m.uid), m.size});
        return entries;
    };
    auto entries = co_await pool_.run(listing);
    if (!entries) {
        locks_.unlock(user);
        log::error("maildrop_failed", {{"user", user}, {"error", entries.error().message}});
        co_return entries.error();
    }
    co_return std::move(entries);
}

io::Task<Result<std::string>> StorePop3Backend::fetch(std::string user, std::string uid) {
    const uint32_t n = uid_of_uidl(uid);
    auto read = [this, &user, n]() -> Result<std::string> {
        auto message = mailboxes_.read_message(user, kInbox, n);
        if (!message) return message.error();
        if (!message->has_value()) return make_error("message no longer exists", pop3::kMessageGone);
        return std::move(**message);
    };
    co_return co_await pool_.run(read);
}

io::Task<Result<void>> StorePop3Backend::remove(std::string user, std::vector<std::string> uids) {
    std::vector<uint32_t> numbers;
    for (const auto& u : uids)
        if (uint32_t n = uid_of_uidl(u)) numbers.push_back(n);
    auto expunge = [this, &user, &numbers]() -> Result<void> {
        auto removed = mailboxes_.expunge(user, kInbox, numbers);
        if (!removed) return removed.error();
        return {};
    };
    auto done = co_await pool_.run(expunge);
    if (done) {
        log::info("pop3_deleted", {{"user", user}, {"messages", numbers.size()}});
        if (hub_) hub_->publish(user, kInbox);
    }
    co_return done;
}

void StorePop3Backend::close_maildrop(std::string user) { locks_.unlock(user); }

}  // namespace ringpost::server
