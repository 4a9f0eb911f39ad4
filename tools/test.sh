#!/usr/bin/env bash
# The one test command (README "Test", and what .ci/run calls): installs the
# dependencies, builds, runs every unit and integration test, then builds
# again with AddressSanitizer + UBSan and runs the unit and integration
# tests under them.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh

configure() {  # dir, extra meson options...
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@"
  fi
}

configure build
ninja -C build
meson test -C build --print-errorlogs --num-processes 2

configure build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbench=disabled
ninja -C build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  meson test -C build-asan --print-errorlogs --num-processes 2 --suite unit --suite integration

# The libFuzzer targets (docs/FUZZING.md): a clang build of only the fuzz
# targets and the libraries they link, every seed and regression input
# replayed, then each target fuzzed briefly so a new crash fails CI.
fuzz_smoke() {
  CXX=clang++ configure build-fuzz -Dfuzz=enabled -Db_sanitize=address,undefined -Db_lundef=false -Doptimization=1
  ninja -C build-fuzz fuzz
  tools/fuzz.sh replay all build-fuzz
  tools/fuzz.sh all 8 build-fuzz
}
fuzz_smoke

echo "all tests passed"
