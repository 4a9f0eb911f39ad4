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
# and child servers; the unit tests and the fuzz targets compile beside them
# at the lowest priority, on the CPU the tests leave idle.
phase "integration tests under ASan+UBSan (unit tests and fuzz targets compiling beside them)"
background_log=build-asan/background-build.log
background_build() { ninja -C build-asan && fuzz_build; }
export -f configure fuzz_build background_build
# Its own session, so that a failing test run takes the whole build down with it.
nice -n 19 setsid bash -c background_build >"$background_log" 2>&1 &
background=$!
trap 'kill -- "-$background" 2>/dev/null || true' EXIT
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
meson test -C build-asan --no-rebuild --print-errorlogs --suite integration
phase "waiting for the unit-test and fuzz builds"
if ! wait "$background"; then
  tail -n 60 "$background_log"
  echo "test.sh: the unit-test or fuzz build failed (whole log: $background_log)" >&2
  exit 1
fi
trap - EXIT

phase "unit tests under ASan+UBSan"
meson test -C build-asan --no-rebuild --print-errorlogs --num-processes 2 --suite unit

# Every seed and regression input replayed, then each target fuzzed briefly
# so that a new crash fails CI.
phase "fuzz targets (replay, then 5 s per target)"
tools/fuzz.sh replay all build-fuzz
tools/fuzz.sh all 5 build-fuzz

phase "done"
echo "all tests passed"
