// Command-line parsing (CLI11) and the commands that need no store:
// serve, check-config, version. Admin commands come from the command table
// (AdminParser, admin_parser.cpp) and are handed to execute_admin_command()
// (admin.cpp). Every subcommand takes --config after its
// name, as in `ringpost queue list --config /etc/ringpost.toml`.
#include "cli/cli.hpp"

#include <cstdio>
#include <cstring>
#include <exception>

#include <CLI/CLI.hpp>

#include "admin/admin.hpp"
#include "cli/admin_parser.hpp"
#include "cli/dkim_keygen.hpp"
#include "cli/http_token.hpp"
#include "cli/internal.hpp"
#include "server/server.hpp"
#include "util/log.hpp"

#ifndef RINGPOST_VERSION
#define RINGPOST_VERSION "unknown"
#endif

namespace ringpost::cli {
namespace {

struct Parsed {
    std::string config_path;
    bool defaults = false;   // check-config --defaults
};

// The deepest subcommand given, for "see 'ringpost queue --help'" after a usage error.
const CLI::App* deepest(const CLI::App& app) {
    const CLI::App* cur = &app;
    while (!cur->get_subcommands().empty()) cur = cur->get_subcommands().front();
    return cur;
}

std::string command_path(const CLI::App& app) {
    std::string s = app.get_name();
    for (const CLI::App* cur = &app; !cur->get_subcommands().empty();) {
        cur = cur->get_subcommands().front();
        s += " " + cur->get_name();
    }
    return s;
}

// CLI11 reports a mistyped command word as "A subcommand is required";
// name the word instead, which is what the user needs to see.
std::string usage_message(const CLI::App& app, const CLI::ParseError& e) {
    const CLI::App* cur = deepest(app);
    auto rest = cur->remaining();
    if (cur->get_require_subcommand_min() > 0 && cur->get_subcommands().empty() && !rest.empty())
        return "unknown command \"" + rest.front() + "\"";
    return e.what();
}

// Returns false (and prints the error) when the file is bad.
bool load(const std::string& path, config::Config& out) {
    try {
        out = config::load_config_or_default(path);
        return true;
    } catch (const config::ConfigError& e) {
        std::fprintf(stderr, "ringpost: %s\n", e.what());
        return false;
    }
}

// check-config: also loads the DKIM keys as `serve` does, so that a missing
// or bad key file is found here, not at the next restart.
int run_check_config(const config::Config& config) {
    try {
        server::DkimSigning::load(config.dkim);
    } catch (const config::ConfigError& e) {
        return fail(admin::kExitUsage, config.source + ": " + e.what());
    }
    std::printf("config ok: %s\n%s", config.source.c_str(), config::describe_config(config).c_str());
    return admin::kExitOk;
}

}  // namespace

int fail(int code, const std::string& message) {
    std::fprintf(stderr, "ringpost: %s\n", message.c_str());
    return code;
}

int run_cli(int argc, char** argv) {
    CLI::App app{"ringpost: a high-throughput SMTP relay", "ringpost"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "ringpost " RINGPOST_VERSION);
    app.footer("Each command takes --config FILE (default: ./ringpost.toml if present, else built-in defaults).\n"
               "Exit status: 0 ok, 1 operational error, 2 usage or configuration error.");

    Parsed p;
    auto with_config = [&](CLI::App* sub) {
        sub->add_option("-c,--config", p.config_path,
                        "configuration file (default: ./ringpost.toml if present, else built-in defaults)")
            ->type_name("FILE");
        return sub;
    };

    auto serve = with_config(app.add_subcommand("serve", "run the SMTP server"));
    auto check = with_config(app.add_subcommand("check-config", "validate the configuration and summarise it"));
    check->add_flag("--defaults", p.defaults, "print every key at its built-in default as a commented TOML file");
    auto version = app.add_subcommand("version", "print the version");
    DkimKeygenArgs keygen_args;
    auto keygen = add_dkim_keygen(app, keygen_args);
    with_config(keygen);
    HttpTokenArgs token_args;
    auto token = with_config(add_http_token(app, token_args));

    // user, queue, mailbox: built from the admin command table.
    AdminParser admin_commands(app, with_config);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);   // --help, --version: print, succeed
        std::fprintf(stderr, "ringpost: %s (see '%s --help')\n", usage_message(app, e).c_str(),
                     command_path(app).c_str());
        return admin::kExitUsage;
    }

    if (version->parsed()) {
        std::printf("ringpost %s\n", RINGPOST_VERSION);
        return admin::kExitOk;
    }

    // The built-in defaults need no configuration file, good or bad.
    if (check->parsed() && p.defaults) {
        std::fputs(config::defaults_toml().c_str(), stdout);
        return admin::kExitOk;
    }

    config::Config config;
    if (!load(p.config_path, config)) return admin::kExitUsage;
    // Administrative commands print their results; the store's info-level
    // events ("store_opened ...") would only clutter a terminal or a pipe.
    if (!serve->parsed()) log::set_level(log::Level::kWarn);

    if (keygen->parsed()) return run_dkim_keygen(config, keygen_args);
    if (token->parsed()) return run_http_token(config, token_args);
    if (check->parsed()) return run_check_config(config);
    if (serve->parsed()) {
        try {
            return server::run_server(config);
        } catch (const std::exception& e) {
            return fail(admin::kExitFailure, e.what());
        }
    }

    const admin::CommandSpec* command = admin_commands.parsed();
    if (!command) return admin::kExitUsage;   // unreachable: CLI11 requires a subcommand
    return execute_admin_command(config, *command, admin_commands.words(), admin_commands.format());
}

}  // namespace ringpost::cli
