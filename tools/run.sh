#!/usr/bin/env bash
# The one run command (README "Quick start"): installs the dependencies,
# builds, and starts `ringpost serve` in the foreground with the built-in
# defaults (SMTP on 127.0.0.1:2525, data in ./ringpost-data), or with
# ./ringpost.toml when that file exists. Extra arguments go to `serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
[ -f build/build.ninja ] || meson setup build
ninja -C build
exec build/ringpost serve "$@"
