// How the CLI runs an admin command: via the server's admin socket when a
// server answers (it owns the RocksDB write lock), otherwise on the store
// directly -- read-only for commands that only look, so that inspecting a
// spool never creates or modifies anything (the command table's `writes`
// flag decides). Also reads the password for `user add`.
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "admin/admin.hpp"
#include "admin/command_table.hpp"
#include "cli/cli.hpp"
#include "cli/internal.hpp"
#include "store/store.hpp"

namespace ringpost::cli {
namespace {

int direct(const config::Config& config, const std::vector<std::string>& args, const std::string& stdin_data,
           std::string& out, std::string& err, admin::OutputFormat format) {
    // No server answered: a command that shows the server's state has nothing to show.
    if (const admin::CommandSpec* spec = admin::find_command(args); spec && spec->needs_server) {
        err += "ringpost: " + admin::needs_server_message(*spec) + " (" + config.admin_socket + ")\n";
        return admin::kExitFailure;
    }
    bool writes = admin::admin_command_writes(args);
    std::error_code ec;
    if (!writes && !std::filesystem::exists(config.data_dir, ec)) {
        err += "ringpost: data directory " + config.data_dir +
               " does not exist (nothing received yet, or a different --config?)\n";
        return admin::kExitFailure;
    }
    store::StoreOptions options;
    options.path = config.data_dir;
    options.read_only = !writes;
    auto store = store::Store::open(options);
    if (!store) {
        std::string msg = store.error().message;
        err += "ringpost: cannot open the store in " + config.data_dir + ": " + msg;
        // RocksDB's single-writer lock: a server is running but we did not reach its socket.
        if (msg.find("LOCK") != std::string::npos || msg.find("lock") != std::string::npos)
            err += " (is ringpost serve running with a different admin_socket?)";
        err += "\n";
        return admin::kExitFailure;
    }
    return admin::run_admin_command(**store, admin::AdminExtras{&config, nullptr}, args, stdin_data, out, err, format);
}

// Restores the terminal if the user interrupts the password prompt, then
// dies of the same signal as the shell expects.
termios g_saved_termios;
void restore_and_reraise(int sig) {
    tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
    signal(sig, SIG_DFL);
    raise(sig);
}

bool read_line(std::string& line) {
    if (!std::getline(std::cin, line)) return false;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
}

bool prompt_no_echo(const char* prompt, std::string& line) {
    std::fputs(prompt, stderr);
    std::fflush(stderr);
    bool ok = read_line(line);
    std::fputs("\n", stderr);   // the user's Enter was not echoed
    return ok;
}

}  // namespace

int execute_admin_collect(const config::Config& config, const std::vector<std::string>& args, const std::string& stdin_data,
                          std::string& out, std::string& err, admin::OutputFormat format) {
    auto remote = admin::call_admin_server(config.admin_socket, args, stdin_data, out, err, format);
    if (!remote) {
        err += "ringpost: " + remote.error().message + "\n";
        return admin::kExitFailure;
    }
    if (remote->has_value()) return **remote;
    return direct(config, args, stdin_data, out, err, format);
}

int execute_admin(const config::Config& config, const std::vector<std::string>& args, const std::string& stdin_data,
                  admin::OutputFormat format) {
    std::string out, err;
    int code = execute_admin_collect(config, args, stdin_data, out, err, format);
    std::fwrite(out.data(), 1, out.size(), stdout);
    if (std::fflush(stdout) != 0) {
        std::fprintf(stderr, "ringpost: cannot write output: %s\n", std::strerror(errno));
        if (code == admin::kExitOk) code = admin::kExitFailure;
    }
    std::fwrite(err.data(), 1, err.size(), stderr);
    return code;
}

namespace {

// Two prompts with echo off on a terminal, else the first line of stdin.
// Returns an exit code; on success `password` is non-empty.
int read_new_password(std::string& password) {
    password.clear();
    if (!isatty(STDIN_FILENO)) {
        // Scripts: `echo secret | ringpost user add a@b` -- the first line is the password.
        if (!read_line(password) || password.empty()) {
            std::fputs("ringpost: empty password refused: give the password as the first line of standard input\n",
                       stderr);
            return admin::kExitUsage;
        }
        return admin::kExitOk;
    }
    if (tcgetattr(STDIN_FILENO, &g_saved_termios) != 0) {
        std::fprintf(stderr, "ringpost: cannot read the terminal settings: %s\n", std::strerror(errno));
        return admin::kExitFailure;
    }
    termios quiet = g_saved_termios;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    auto old_int = signal(SIGINT, restore_and_reraise);
    auto old_term = signal(SIGTERM, restore_and_reraise);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    std::string again;
    bool ok = prompt_no_echo("Password: ", password) && prompt_no_echo("Retype password: ", again);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_termios);
    signal(SIGINT, old_int);
    signal(SIGTERM, old_term);

    int code = admin::kExitOk;
    if (!ok) {
        std::fputs("ringpost: no password given\n", stderr);
        code = admin::kExitUsage;
    } else if (password.empty()) {
        std::fputs("ringpost: empty password refused\n", stderr);
        code = admin::kExitUsage;
    } else if (password != again) {
        std::fputs("ringpost: the passwords do not match\n", stderr);
        code = admin::kExitUsage;
    }
    explicit_bzero(again.data(), again.size());
    if (code != admin::kExitOk) explicit_bzero(password.data(), password.size());
    return code;
}

}  // namespace

int execute_admin_command(const config::Config& config, const admin::CommandSpec& spec,
                          const std::vector<std::string>& words, admin::OutputFormat format) {
    std::string stdin_data;
    if (spec.input == admin::CommandInput::kNewPassword) {
        std::string password;
        if (int code = read_new_password(password); code != admin::kExitOk) return code;
        stdin_data = password + "\n";
        explicit_bzero(password.data(), password.size());
    }
    int code = execute_admin(config, words, stdin_data, format);
    explicit_bzero(stdin_data.data(), stdin_data.size());
    return code;
}

}  // namespace ringpost::cli
