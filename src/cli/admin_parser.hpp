// The CLI11 subcommands of the administration commands, built from the
// command table (admin/command_table.hpp): `ringpost <group> <command>
// [--config FILE] [--json] ARGS...`, with the table's help texts. No admin
// command is spelled out in the CLI.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "admin/command_table.hpp"

namespace ringpost::cli {

class AdminParser {
public:
    // Adds what every subcommand takes (--config) and returns the subcommand.
    using Configure = std::function<CLI::App*(CLI::App*)>;

    // Adds to `app` one subcommand per command group (a subcommand of it is
    // required) and, beneath it, one per command with its arguments and --json.
    AdminParser(CLI::App& app, const Configure& configure);
    AdminParser(const AdminParser&) = delete;   // CLI11 holds pointers into bound_
    AdminParser& operator=(const AdminParser&) = delete;

    // After app.parse(): the command given, or null when it was no admin command.
    const admin::CommandSpec* parsed() const;
    // The parsed command's words, as run_admin_command() takes them: group,
    // name (if it has one), then the operands.
    std::vector<std::string> words() const;
    // kJson when the parsed command was given --json.
    admin::OutputFormat format() const;

private:
    // One command's subcommand and where CLI11 stores its arguments
    // (`values` for a single argument, `lists` for a repeated one, by index).
    struct Bound {
        const admin::CommandSpec* spec = nullptr;
        CLI::App* app = nullptr;
        std::vector<std::string> values;
        std::vector<std::vector<std::string>> lists;
        std::vector<CLI::Option*> options;
        std::vector<std::string> option_values;   // by index into spec->options
        std::vector<CLI::Option*> named;
        bool json = false;                        // --json
    };
    // Binds the command's arguments and options to `app`, its subcommand.
    void bind(CLI::App* app, const admin::CommandSpec& spec);
    const Bound* parsed_bound() const;

    std::vector<std::unique_ptr<Bound>> bound_;
};

}  // namespace ringpost::cli
