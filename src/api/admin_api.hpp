// The admin API: the CLI's administration commands over HTTP, from the one
// command table (admin/command_table.hpp), with JSON output
// (OutputFormat::kJson). docs/HTTP.md lists the routes:
//
//   GET  /api/v1/commands           the table: group, name, help, args, options, writes
//   GET  /api/v1/GROUP/NAME         a command that does not write; positional
//                                   arguments as repeated arg=, options as NAME=VALUE
//   POST /api/v1/GROUP/NAME         a command that writes; JSON body
//                                   {"args": [...], "options": {...}, "password": "..."}
//
// The answer is the command's JSON (200), or {"error": "..."}: 400 for a
// usage error, 404 for an unknown command or a missing object, 409 for one
// that exists already, 405 for the wrong method, 500 otherwise. Commands
// run on a blocking pool (they read and write the store), one at a time
// with the admin socket's (AdminExtras::serial), with the same extras, so
// a flush or a suspension reaches the delivery engine as it does from the CLI.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "admin/admin.hpp"
#include "admin/command_table.hpp"
#include "http/message.hpp"
#include "http/router.hpp"
#include "io/blocking_pool.hpp"
#include "io/task.hpp"
#include "util/result.hpp"

namespace ringpost::store {
class Store;
}

namespace ringpost::api {

inline constexpr std::string_view kAdminPrefix = "/api/v1/";

// What a request asks the command table for: its operands as run_command
// takes them (positional, then "--NAME=VALUE") and standard input.
struct CommandRequest {
    const admin::CommandSpec* spec = nullptr;
    std::vector<std::string> operands;
    std::string input;
};

// GET /api/v1/commands: the table as JSON.
std::string commands_json();
// The command a path under kAdminPrefix names, or null.
const admin::CommandSpec* command_for_path(std::string_view path);
// From a GET's query parameters; an error is a usage error (400).
Result<CommandRequest> request_from_query(const admin::CommandSpec& spec, const http::Request& request);
// From a POST's JSON body.
Result<CommandRequest> request_from_body(const admin::CommandSpec& spec, std::string_view body);
// The answer to a command that ran: its JSON output, or the error by exit code and message.
http::Response command_response(int exit_code, std::string out, std::string_view err);

class AdminApi {
public:
    AdminApi(store::Store& store, admin::AdminExtras extras, io::BlockingPool& pool)
        : store_(store), extras_(extras), pool_(pool) {}

    io::Task<http::Response> commands(const http::Request& request, const http::Caller& caller);
    io::Task<http::Response> run(const http::Request& request, const http::Caller& caller);

private:
    store::Store& store_;
    admin::AdminExtras extras_;
    io::BlockingPool& pool_;
};

}  // namespace ringpost::api
