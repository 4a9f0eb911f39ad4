// The `ringpost` command line (CLI11): serve, check-config, user, queue,
// mailbox, version. Exit codes: 0 ok, 1 operational error, 2 usage or
// configuration error; messages go to stderr as one line "ringpost: ...".
// Commands and the admin socket protocol: docs/CLI.md.
#pragma once

#include <string>
#include <vector>

#include "admin/command_table.hpp"
#include "config/config.hpp"

namespace ringpost::cli {

int run_cli(int argc, char** argv);

// Runs an admin command (user/queue/mailbox words) the way the CLI does:
// through the running server's admin socket if one answers, else directly on
// the store in config.data_dir. Writes the output to stdout/stderr, as text
// or (--json) as one JSON document.
int execute_admin(const config::Config& config, const std::vector<std::string>& args, const std::string& stdin_data,
                  admin::OutputFormat format = admin::OutputFormat::kText);

// Same, but collecting the output (for tests and for execute_admin).
int execute_admin_collect(const config::Config& config, const std::vector<std::string>& args, const std::string& stdin_data,
                          std::string& out, std::string& err, admin::OutputFormat format = admin::OutputFormat::kText);

}  // namespace ringpost::cli
