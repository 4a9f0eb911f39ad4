// `ringpost dkim keygen DOMAIN SELECTOR`: generates a DKIM signing key
// (Ed25519 or RSA), writes it where the server reads keys from
// (<data_dir>/dkim/DOMAIN/SELECTOR.pem unless --out, mode 0600, never over
// an existing file), and prints the DNS TXT record that publishes it, as
// opendkim-genkey does.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "config/config.hpp"

namespace ringpost::cli {

struct DkimKeygenArgs {
    std::string domain;
    std::string selector;
    std::string type = "rsa";   // rsa | ed25519
    unsigned bits = 2048;
    std::string out;            // "" = <data_dir>/dkim/DOMAIN/SELECTOR.pem
};

// Adds `dkim keygen` under `app`; returns the keygen subcommand.
CLI::App* add_dkim_keygen(CLI::App& app, DkimKeygenArgs& args);

// Exit code: 0 written, 1 the file could not be written, 2 bad arguments.
int run_dkim_keygen(const config::Config& config, const DkimKeygenArgs& args);

}  // namespace ringpost::cli
