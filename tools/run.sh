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
# A unity build (each library as a few files that #include four of its
# sources): the server compiles in half the CPU time (460 s instead of 990 s
# on a fresh machine), which is most of this command's wait.
[ -f build/build.ninja ] || meson setup build -Dunity=on
ninja -C build ringpost
exec build/ringpost serve "$@"
