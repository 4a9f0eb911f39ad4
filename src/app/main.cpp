// ringpost's main(): everything happens in run_cli() (src/app/cli.cpp), so
// that the command line is testable from the unit tests.
#include "app/cli.hpp"

int main(int argc, char** argv) { return ringpost::app::run_cli(argc, argv); }
