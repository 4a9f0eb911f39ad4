// Pieces of the CLI shared between cli.cpp (parsing) and admin.cpp
// (running admin commands); not part of the CLI's interface.
#pragma once

#include <string>
#include <vector>

#include "admin/command_table.hpp"
#include "config/config.hpp"

namespace ringpost::cli {

// Prints "ringpost: <message>" on stderr; returns `code`, the exit code.
int fail(int code, const std::string& message);

// Runs the admin command `words` (group, name, operands) as parsed from the
// command line: first collects what the command reads (for `user add` the
// new password: two prompts with echo off on a terminal, else the first line
// of stdin), then execute_admin(). Returns the exit code.
int execute_admin_command(const config::Config& config, const admin::CommandSpec& spec,
                          const std::vector<std::string>& words, admin::OutputFormat format);

}  // namespace ringpost::cli
