// `ringpost http token new NAME`: makes a bearer token for the HTTP API
// (http/tokens.hpp), appends its hash to [http] tokens_file (created mode
// 0600) and prints the token, once: only its hash is kept.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "config/config.hpp"

namespace ringpost::cli {

struct HttpTokenArgs {
    std::string name;
    std::string file;   // "" = [http] tokens_file
};

// Adds `http token new` under `app`; returns the `new` subcommand.
CLI::App* add_http_token(CLI::App& app, HttpTokenArgs& args);

// Exit code: 0 written, 1 the file could not be read or written, 2 bad arguments.
int run_http_token(const config::Config& config, const HttpTokenArgs& args);

}  // namespace ringpost::cli
