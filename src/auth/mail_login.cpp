#include "auth/mail_login.hpp"

#include <cstring>
#include <string_view>
#include <vector>

#include "auth/password.hpp"
#include "metrics/registry.hpp"
#include "io/ops.hpp"
#include "store/keys.hpp"
#include "store/users.hpp"
#include "util/log.hpp"

namespace ringpost::auth {
namespace {

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

// ringpost_logins_total{protocol, result}: the password checks of the three
// front ends, resolved once (the protocols are a fixed set).
constexpr const char* kProtocols[] = {"smtp", "pop3", "imap"};

const std::vector<std::vector<metrics::Counter>>& login_counters() {
    static const std::vector<std::vector<metrics::Counter>> counters = [] {
        auto& family = metrics::global().counter("ringpost_logins_total",
                                                 "password checks by protocol and result (ok, failed, temp_fail)",
                                                 {"protocol", "result"});
        // By Status: kOk, kBadCredentials, kTempFail.
        static constexpr std::string_view kResults[] = {"ok", "failed", "temp_fail"};
        std::vector<std::vector<metrics::Counter>> all;
        for (const char* p : kProtocols) all.push_back(family.each(kResults, {p}));
        return all;
    }();
    return counters;
}

void count_login(const char* proto, Status status) {
    for (size_t i = 0; i < std::size(kProtocols); ++i)
        if (std::strcmp(proto, kProtocols[i]) == 0) return login_counters()[i][static_cast<size_t>(status)].inc();
}

}  // namespace

void register_login_metrics() { login_counters(); }

io::Task<Outcome> check_login(store::Users& users, io::BlockingPool& pool, LoginThrottle& throttle,
                                 const char* proto, std::string user, std::string password, std::string client_ip) {
    Outcome result;
    // Whether a password may cross this connection at all (TLS, or loopback)
    // is the protocol session's rule: it refuses before asking here.
    std::string name = store::keys::lower_address(user);
    auto check = [&users, &name, &password]() -> bool {
        auto record = users.get(name);
        std::string_view hash = dummy_hash();
        bool exists = record.ok() && record->has_value();
        if (exists) hash = (*record)->password_hash;
        bool ok = verify_password(password, hash);
        return exists && ok;
    };
    auto verified = co_await pool.run(check);
    if (!verified) {
        log::error("login_check_failed", {{"proto", proto}, {"error", verified.error().message}});
        result.status = Status::kTempFail;
        count_login(proto, result.status);
        co_return result;
    }
    if (*verified) {
        throttle.succeeded(client_ip);
        log::info("login", {{"proto", proto}, {"user", name}, {"client", client_ip}});
        result.status = Status::kOk;
        count_login(proto, result.status);
        result.user = name;
        co_return result;
    }
    count_login(proto, result.status);
    auto delay = throttle.failed(client_ip);
    log::warn("login_failed", {{"proto", proto}, {"user", name}, {"client", client_ip},
                               {"delay_ms", static_cast<int64_t>(delay.count())}});
    co_await io::sleep_for(delay);
    co_return result;
}

}  // namespace ringpost::auth
