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
# and child servers (a module's CPU time is a tenth to a quarter of its wall
# time: run.py prints both), so they run eight modules at a time in the
# foreground while two chains use, at the lowest priority, the CPU they
# leave idle: the unit tests built and run, and the fuzz targets built,
# replayed and fuzzed briefly (every seed and regression input, then 5 s
# per target, so that a new crash fails CI).
phase "integration tests under ASan+UBSan (unit tests and fuzz targets building and running beside them)"
unit_log=build-asan/background-unit.log
fuzz_log=build-asan/background-fuzz.log
unit_chain() {
  ninja -C build-asan &&
  meson test -C build-asan --no-rebuild --print-errorlogs --num-processes 2 --suite unit
}
fuzz_chain() {
  fuzz_build &&
  tools/fuzz.sh replay all build-fuzz &&
  tools/fuzz.sh all 5 build-fuzz
}
export -f configure fuzz_build unit_chain fuzz_chain
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Each in its own session, so that a failing integration run takes them down with it.
nice -n 19 setsid bash -c unit_chain >"$unit_log" 2>&1 &
unit_pid=$!
nice -n 19 setsid bash -c fuzz_chain >"$fuzz_log" 2>&1 &
fuzz_pid=$!
trap 'kill -- "-$unit_pid" "-$fuzz_pid" 2>/dev/null || true' EXIT
meson test -C build-asan --no-rebuild --print-errorlogs --suite integration
finish() {  # name, pid, log: wait for a chain, show what it found
  phase "waiting for the $1"
  if ! wait "$2"; then
    tail -n 150 "$3"
    echo "test.sh: the $1 failed (whole log: $3)" >&2
    exit 1
  fi
  grep -E "^(Ok|Fail|Timeout|Skipped|Expected Fail|Unexpected Pass): |^fuzz\.sh: " "$3" || true
}
finish "unit tests under ASan+UBSan" "$unit_pid" "$unit_log"
finish "fuzz targets (replay, then 5 s per target)" "$fuzz_pid" "$fuzz_log"
trap - EXIT

phase "done"
echo "all tests passed"
