// run_admin_command(): dispatch through the command table
// (command_table.hpp), plus the helpers the commands share. The command
// words arrive from the CLI (already checked by CLI11) or from the admin
// socket (from any local process of the same user), so run_command() checks
// the argument count again.
#include <ctime>

#include <fmt/core.h>

#include "admin/admin.hpp"
#include "admin/command_table.hpp"
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

namespace {

// "user|queue|mailbox", for the usage error of an empty command.
std::string group_names() {
    std::string s;
    for (const CommandGroup& g : command_groups()) s.append(s.empty() ? "" : "|").append(g.name);
    return s;
}

// "add|list|del" for "user"; empty if `group` is not one.
std::string command_names(std::string_view group) {
    std::string s;
    for (const CommandSpec& c : commands())
        if (c.group == group) s.append(s.empty() ? "" : "|").append(c.name);
    return s;
}

}  // namespace

// Both read the table, so the CLI's read-only decision and the dispatch
// cannot disagree about which commands exist or write.
bool admin_command_writes(const std::vector<std::string>& args) {
    const CommandSpec* spec = find_command(args);
    return spec && spec->writes;
}

int run_admin_command(store::Store& store, const std::vector<std::string>& args, std::string_view stdin_data,
                      std::string& out, std::string& err) {
    return run_admin_command(store, AdminExtras{}, args, stdin_data, out, err);
}

int run_admin_command(store::Store& store, const AdminExtras& extras, const std::vector<std::string>& args,
                      std::string_view stdin_data, std::string& out, std::string& err, OutputFormat format) {
    if (args.empty()) return detail::usage(err, group_names() + " ...");
    if (const CommandSpec* spec = find_command(args)) {
        const std::vector<std::string> operands(args.begin() + static_cast<long>(command_word_count(*spec)), args.end());
        return run_command(*spec, store, extras, operands, stdin_data, out, err, format);
    }
    std::string names = command_names(args[0]);
    if (names.empty())
        return detail::fail(err, kExitUsage, "unknown admin command \"" + detail::printable(args[0]) + "\"");
    return detail::usage(err, args[0] + " " + names + " ...");
}

}  // namespace ringpost::admin
