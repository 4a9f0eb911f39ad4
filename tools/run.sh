#!/usr/bin/env bash
# The one run command (README "Quick start"): installs the dependencies,
# builds, and starts `ringpost serve` in the foreground with the built-in
# defaults (SMTP on 127.0.0.1:2525, data in ./ringpost-data), or with
# ./ringpost.toml when that file exists. Extra arguments go to `serve`.
#
# Only the server's packages and only the server's target: the tests,
# benchmarks and their packages (tools/test.sh) are most of a full build.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh --server
# Compiling is most of this command's wait on a fresh machine, so:
# - a unity build (each library as a few files that #include up to 16 of
#   its sources: headers read and templates instantiated once per group):
#   the server in 300 CPU s, 390 with four sources per file, about twice
#   that with one object per source file;
# - debug information as line tables only (-g1: backtraces and perf keep
#   their file:line; gdb shows no local variables): at -O2 a third less
#   compile time than -g. `meson configure build -Dcpp_args=` for full -g.
[ -f build/build.ninja ] || meson setup build -Dunity=on -Dunity_size=16 -Dcpp_args=-g1
ninja -C build ringpost
exec build/ringpost serve "$@"
