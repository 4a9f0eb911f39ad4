// ringpost's main(): everything happens in run_cli() (src/cli/cli.cpp), so
// that the command line is testable from the unit tests.
#include "cli/cli.hpp"

int main(int argc, char** argv) { return ringpost::cli::run_cli(argc, argv); }
