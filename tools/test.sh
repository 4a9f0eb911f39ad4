#!/usr/bin/env bash
# The one test command (README "Test", and what .ci/run calls): installs the
# dependencies, builds everything with AddressSanitizer + UBSan and runs the
# unit and the integration tests under them, then the fuzz targets briefly.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
phase() { echo "== test.sh: $1 ($((SECONDS - start)) s)"; }

phase "dependencies"
tools/install-deps.sh

configure() {  # dir, extra meson options...
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@"
  fi
}

# One build, with AddressSanitizer + UBSan at -O0: the server, the tools and
# the benchmarks first (compiled so that they keep building; the optimised
# build is tools/run.sh's), then the tests. With UBSan, g++ 12 spends 4-5x
# longer compiling at -O2, and the tests wait on sockets and timers far
# more than they compute.

# The libFuzzer targets (docs/FUZZING.md): a clang build of only the fuzz
# targets and the libraries they link.
fuzz_build() {
  CXX=clang++ configure build-fuzz -Dfuzz=enabled -Db_sanitize=address,undefined -Db_lundef=false -Doptimization=1
  ninja -C build-fuzz fuzz
}

phase "sanitizer build of the server, tools and benchmarks"
configure build-asan -Db_sanitize=address,undefined -Db_lundef=false -Doptimization=0
ninja -C build-asan programs

# The integration tests spend most of their time waiting on sockets, timers
# and child servers (a module's CPU time is a fifth to a quarter of its wall
# time: run.py prints both), so they run six modules at a time in the
# foreground while, at the lowest priority and on the CPU they leave idle,
# the unit tests are built and run and the fuzz targets are built, replayed
# and fuzzed briefly (every seed and regression input, then 5 s per target,
# so that a new crash fails CI).
phase "integration tests under ASan+UBSan (unit tests and fuzz targets building and running beside them)"
background_log=build-asan/background-tests.log
background_tests() {
  ninja -C build-asan &&
  echo "== unit tests under ASan+UBSan" &&
  meson test -C build-asan --no-rebuild --print-errorlogs --num-processes 2 --suite unit &&
  fuzz_build &&
  echo "== fuzz targets (replay, then 5 s per target)" &&
  tools/fuzz.sh replay all build-fuzz &&
  tools/fuzz.sh all 5 build-fuzz
}
export -f configure fuzz_build background_tests
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Its own session, so that a failing integration run takes it down with it.
nice -n 19 setsid bash -c background_tests >"$background_log" 2>&1 &
background=$!
trap 'kill -- "-$background" 2>/dev/null || true' EXIT
meson test -C build-asan --no-rebuild --print-errorlogs --suite integration
phase "waiting for the unit tests and the fuzz targets"
if ! wait "$background"; then
  tail -n 150 "$background_log"
  echo "test.sh: the unit tests or the fuzz targets failed (whole log: $background_log)" >&2
  exit 1
fi
trap - EXIT
# What they found, from their log: the unit-test summary and the fuzz lines.
grep -E "^(Ok|Fail|Timeout|Skipped|Expected Fail|Unexpected Pass): |^== |^fuzz" "$background_log" || true

phase "done"
echo "all tests passed"
