// Pieces of the CLI shared between cli.cpp (parsing) and cli_admin.cpp
// (running admin commands); not part of the CLI's interface.
#pragma once

#include <string>

namespace ringpost::cli {

// `user add`: two prompts with echo off on a terminal, else the first line
// of stdin. Returns an exit code; on success `password` is non-empty.
int read_new_password(std::string& password);

}  // namespace ringpost::cli
