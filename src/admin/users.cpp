// `user add|list|del` (handlers of the command table): mailbox users (who may receive local mail and log in).
// The password arrives on standard input (never on the command line, where
// `ps` would show it) and only its crypt(3) hash is stored.
#include <cstring>
#include <ctime>

#include <fmt/core.h>

#include "admin/admin.hpp"
#include "admin/command_table.hpp"
#include "admin/commands.hpp"
#include "admin/json_output.hpp"
#include "auth/password.hpp"
#include "store/store.hpp"

namespace ringpost::admin::detail {
namespace {

// First line of standard input, without its line ending.
std::string first_line(std::string_view in) {
    auto nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return std::string(line);
}

// `user list`: one line per user, or {"users": [...]}.
void users_text(std::string& out, const std::vector<store::UserRecord>& users) {
    for (const auto& u : users)
        out += fmt::format("{} {} {}\n", printable(u.address), iso_time(u.created),
                           u.password_hash.empty() ? "no-password" : "password");
}

Json users_json(const std::vector<store::UserRecord>& users) {
    Json list = Json::array();
    for (const auto& u : users)
        list.push_back({{"address", u.address}, {"created", time_or_null(u.created)},
                        {"password", !u.password_hash.empty()}});
    return Json{{"users", std::move(list)}};
}

}  // namespace

int user_add(const CommandCall& call) {
    auto& [store, extras, operands, options, input, out, err, format] = call;
    std::string address = normalize_address(operands[0]);
    if (address.empty())
        return fail(err, kExitUsage, "\"" + printable(operands[0]) + "\" is not a mail address (expected local@domain)");
    std::string password = first_line(input);
    if (password.empty())
        return fail(err, kExitUsage, "empty password refused: give the password on standard input");

    auto existing = store.users().get(address);
    if (!existing) return store_fail(err, existing.error());
    if (*existing) return fail(err, kExitFailure, "user " + address + " already exists");

    auto hash = auth::hash_password(password);
    explicit_bzero(password.data(), password.size());
    if (!hash) return fail(err, kExitFailure, "cannot hash password: " + hash.error().message);

    store::UserRecord rec;
    rec.address = address;
    rec.password_hash = std::move(hash.value());
    rec.created = static_cast<int64_t>(std::time(nullptr));
    if (auto r = store.users().add(rec); !r) return store_fail(err, r.error());
    return answer(call, "added user " + address + "\n",
                  Json{{"address", address}, {"created", iso_time(rec.created)}});
}

int user_list(const CommandCall& call) {
    auto& [store, extras, operands, options, input, out, err, format] = call;
    auto users = store.users().list();
    if (!users) return store_fail(err, users.error());
    if (format == OutputFormat::kJson) write_json(out, users_json(*users));
    else users_text(out, *users);
    return kExitOk;
}

int user_del(const CommandCall& call) {
    auto& [store, extras, operands, options, input, out, err, format] = call;
    std::string address = normalize_address(operands[0]);
    if (address.empty())
        return fail(err, kExitUsage, "\"" + printable(operands[0]) + "\" is not a mail address (expected local@domain)");
    auto existing = store.users().get(address);
    if (!existing) return store_fail(err, existing.error());
    if (!*existing) return fail(err, kExitFailure, "no such user: " + address);
    if (auto r = store.users().remove(address); !r) return store_fail(err, r.error());
    return answer(call, "deleted user " + address + " and its mailbox\n",
                  Json{{"address", address}, {"deleted", true}});
}

}  // namespace ringpost::admin::detail
