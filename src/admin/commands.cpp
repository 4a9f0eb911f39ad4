// run_admin_command(): dispatch on the command group, plus the helpers the
// groups share. The command words arrive from the CLI (already checked by
// CLI11) or from the admin socket (from any local process of the same user),
// so every command checks its own argument count again.
#include <ctime>

#include <fmt/core.h>

#include "admin/admin.hpp"
#include "admin/commands.hpp"

namespace ringpost::admin {
namespace detail {

int fail(std::string& err, int code, std::string_view message) {
    err += "ringpost: ";
    err += message;
    err += '\n';
    return code;
}

int store_fail(std::string& err, const Error& e) {
    return fail(err, kExitFailure, "store error: " + e.message);
}

int usage(std::string& err, std::string_view synopsis) {
    return fail(err, kExitUsage, "usage: ringpost " + std::string(synopsis));
}

std::string iso_time(int64_t unix_seconds) {
    if (unix_seconds == 0) return "-";
    time_t t = static_cast<time_t>(unix_seconds);
    tm parts{};
    if (!gmtime_r(&t, &parts)) return std::to_string(unix_seconds);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return buf;
}

std::string printable(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f || c == '\\') out += fmt::format("\\x{:02x}", c);
        else out += static_cast<char>(c);
    }
    return out;
}

std::string normalize_address(std::string_view s) {
    if (s.empty() || s.size() > 254) return {};
    auto at = s.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == s.size()) return {};
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';') return {};
        out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    return out;
}

}  // namespace detail

bool admin_command_writes(const std::vector<std::string>& args) {
    if (args.size() < 2) return false;
    return (args[0] == "user" && (args[1] == "add" || args[1] == "del")) ||
           (args[0] == "queue" && (args[1] == "delete" || args[1] == "flush" || args[1] == "bounce"));
}

int run_admin_command(store::Store& store, const std::vector<std::string>& args, std::string_view stdin_data,
                      std::string& out, std::string& err) {
    return run_admin_command(store, AdminExtras{}, args, stdin_data, out, err);
}

int run_admin_command(store::Store& store, const AdminExtras& extras, const std::vector<std::string>& args,
                      std::string_view stdin_data, std::string& out, std::string& err) {
    if (args.empty()) return detail::usage(err, "user|queue|mailbox ...");
    const std::string& group = args[0];
    if (group == "user") return detail::user_command(store, args, stdin_data, out, err);
    if (group == "queue") return detail::queue_command(store, extras, args, out, err);
    if (group == "mailbox") return detail::mailbox_command(store, args, out, err);
    return detail::fail(err, kExitUsage, "unknown admin command \"" + detail::printable(group) + "\"");
}

}  // namespace ringpost::admin
