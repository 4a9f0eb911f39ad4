#include "app/pop3_backend.hpp"

#include <charconv>

#include "app/password.hpp"
#include "io/ops.hpp"
#include "store/keys.hpp"
#include "store/store.hpp"
#include "util/log.hpp"

namespace ringpost::app {
namespace {

constexpr std::string_view kInbox = "INBOX";

// Verified against when the user does not exist, so that a wrong user name
// costs the same time as a wrong password (no user enumeration by timing):
// a real hash (same method and cost as users' hashes) of a password nobody
// types. Made once, on a pool thread, at the first login.
const std::string& dummy_hash() {
    static const std::string hash = [] {
        auto h = hash_password("ringpost: no such user");
        return h ? h.value() : std::string("*");
    }();
    return hash;
}

}  // namespace

bool is_loopback_ip(std::string_view ip) {
    return ip == "::1" || ip.substr(0, 4) == "127." || ip.substr(0, 11) == "::ffff:127.";
}

uint32_t uid_of_uidl(std::string_view uidl) {
    size_t dot = uidl.find('.');
    if (dot == std::string_view::npos) return 0;
    std::string_view digits = uidl.substr(dot + 1);
    uint32_t uid = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), uid);
    if (ec != std::errc() || end != digits.data() + digits.size()) return 0;
    return uid;
}

io::Task<pop3::AuthResult> StorePop3Backend::authenticate(std::string user, std::string password,
                                                          std::string client_ip) {
    pop3::AuthResult result;
    if (!is_loopback_ip(client_ip)) {
        // Plain-text passwords off loopback wait for TLS (issue 5).
        log::warn("login_refused", {{"proto", "pop3"}, {"client", client_ip}, {"reason", "plaintext_not_loopback"}});
        co_return result;
    }
    std::string name = store::keys::lower_address(user);
    auto check = [this, &name, &password]() -> bool {
        auto record = store_.get_user(name);
        std::string_view hash = dummy_hash();
        bool exists = record.ok() && record->has_value();
        if (exists) hash = (*record)->password_hash;
        bool ok = verify_password(password, hash);
        return exists && ok;
    };
    auto verified = co_await pool_.run(check);
    if (!verified) {
        log::error("login_check_failed", {{"proto", "pop3"}, {"error", verified.error().message}});
        result.status = pop3::AuthStatus::kTempFail;
        co_return result;
    }
    if (*verified) {
        throttle_.succeeded(client_ip);
        log::info("login", {{"proto", "pop3"}, {"user", name}, {"client", client_ip}});
        result.status = pop3::AuthStatus::kOk;
        result.user = name;
        co_return result;
    }
    auto delay = throttle_.failed(client_ip);
    log::warn("login_failed", {{"proto", "pop3"}, {"user", name}, {"client", client_ip},
                               {"delay_ms", static_cast<int64_t>(delay.count())}});
    co_await io::sleep_for(delay);
    co_return result;
}

io::Task<Result<std::vector<pop3::MaildropEntry>>> StorePop3Backend::open_maildrop(std::string user) {
    if (!locks_.try_lock(user)) co_return make_error("maildrop already locked", pop3::kInUse);
    auto listing = [this, &user]() -> Result<std::vector<pop3::MaildropEntry>> {
        auto contents = store_.list_messages(user, kInbox);
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
        auto message = store_.read_message(user, kInbox, n);
        if (!message) return message.error();
        if (!message->has_value()) return make_error("message no longer exists");
        return std::move(**message);
    };
    co_return co_await pool_.run(read);
}

io::Task<Result<void>> StorePop3Backend::remove(std::string user, std::vector<std::string> uids) {
    std::vector<uint32_t> numbers;
    for (const auto& u : uids)
        if (uint32_t n = uid_of_uidl(u)) numbers.push_back(n);
    auto expunge = [this, &user, &numbers]() -> Result<void> {
        auto removed = store_.expunge(user, kInbox, numbers);
        if (!removed) return removed.error();
        return {};
    };
    auto done = co_await pool_.run(expunge);
    if (done) log::info("pop3_deleted", {{"user", user}, {"messages", numbers.size()}});
    co_return done;
}

void StorePop3Backend::close_maildrop(std::string user) { locks_.unlock(user); }

}  // namespace ringpost::app
