#include "cli/http_token.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "admin/admin.hpp"
#include "http/tokens.hpp"
#include "cli/internal.hpp"

namespace ringpost::cli {
namespace {

// Appends `line` to `path`, creating it 0600; an existing file is made
// 0600 too (it says who may call the API).
bool append_private(const std::string& path, const std::string& line, std::string& error) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = path + ": " + std::strerror(errno);
        return false;
    }
    const bool ok = ::fchmod(fd, 0600) == 0 &&
                    ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
    if (!ok) error = path + ": " + std::strerror(errno);
    ::close(fd);
    return ok;
}

}  // namespace

CLI::App* add_http_token(CLI::App& app, HttpTokenArgs& args) {
    CLI::App* http = app.add_subcommand("http", "the HTTP API");
    http->require_subcommand(1);
    CLI::App* token = http->add_subcommand("token", "bearer tokens of the HTTP API");
    token->require_subcommand(1);
    CLI::App* add = token->add_subcommand("new", "make a token, store its hash in [http] tokens_file, print it once");
    add->add_option("name", args.name, "the token's name, as the log shows callers (letters, digits, - _ . @)")
        ->required();
    add->add_option("--file", args.file, "tokens file (default: [http] tokens_file)")->type_name("FILE");
    return add;
}

int run_http_token(const config::Config& config, const HttpTokenArgs& args) {
    if (!http::valid_token_name(args.name))
        return fail(admin::kExitUsage, "\"" + args.name + "\" is not a token name (letters, digits, - _ . @; 64 at most)");
    const std::string path = args.file.empty() ? config.http.tokens_file : args.file;
    if (path.empty())
        return fail(admin::kExitUsage, "no tokens file: set [http] tokens_file in " + config.source + " (or give --file)");
    struct stat st{};
    if (::stat(path.c_str(), &st) == 0) {
        auto existing = http::TokenSet::load(path);
        if (!existing) return fail(admin::kExitFailure, existing.error().message);
        if (existing->has_name(args.name))
            return fail(admin::kExitUsage, "a token named \"" + args.name + "\" exists already in " + path);
    }
    auto token = http::new_token();
    if (!token) return fail(admin::kExitFailure, token.error().message);
    std::string error;
    if (!append_private(path, http::token_line(args.name, *token), error)) return fail(admin::kExitFailure, error);
    std::printf("%s\n", token->c_str());
    std::fprintf(stderr, "ringpost: token \"%s\" added to %s; shown only now. A running server reads it on SIGHUP.\n",
                 args.name.c_str(), path.c_str());
    return admin::kExitOk;
}

}  // namespace ringpost::cli
