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
[ -f build/build.ninja ] || meson setup build
ninja -C build ringpost
exec build/ringpost serve "$@"
