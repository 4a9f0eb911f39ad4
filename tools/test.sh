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

# Compiling is most of this command's CPU time (2-core VM, nothing cached:
# about 1,200 of its 1,800 CPU seconds), so every build here is chosen for it:
# - one sanitizer build, with AddressSanitizer + UBSan at -O0 (with UBSan,
#   g++ 12 spends 4-5x longer at -O2, and the tests wait on sockets and
#   timers far more than they compute); the optimised build is tools/run.sh's;
# - unity builds (each library compiles as a few files that #include up to
#   16 of its sources: headers read and templates instantiated once per
#   group; the server's ASan build in 370 CPU s, 500 with four sources per
#   file, about 1,100 with one object per source);
# - line tables only for debug information (-g1: sanitizer reports keep their
#   file:line, 15% less compile time than -g);
# - the fuzz targets' clang build at -O0 (380 CPU s instead of 560 at -O1;
#   five seconds of fuzzing per target need coverage, not speed).
asan_options=(-Dunity=on -Dunity_size=16 -Db_sanitize=address,undefined -Db_lundef=false
              -Doptimization=0 -Ddebug=false -Dcpp_args=-g1)
fuzz_dir=build-fuzz-smoke   # not build-fuzz: docs/FUZZING.md fuzzes at -O1 there

# The libFuzzer targets (docs/FUZZING.md): a clang build of only the fuzz
# targets and the libraries they link, built, replayed and fuzzed briefly
# (every seed and regression input, then 5 s per target, so that a new
# crash fails CI). It starts now, at the lowest priority, and uses the CPU
# the server's build and the tests leave idle.
fuzz_chain() {
  # Meson puts ccache in front of the compiler it finds, not of one named
  # in CXX.
  local cxx=clang++
  command -v ccache >/dev/null && cxx="ccache clang++"
  CXX=$cxx configure "$fuzz_dir" -Dfuzz=enabled -Db_sanitize=address,undefined -Db_lundef=false \
    -Doptimization=0 -Ddebug=false &&
  ninja -C "$fuzz_dir" fuzz &&
  tools/fuzz.sh replay all "$fuzz_dir" &&
  tools/fuzz.sh all 5 "$fuzz_dir"
}
# The unit tests (and the tools and benchmarks, compiled so that they keep
# building) in the sanitizer build, after the server.
unit_chain() {
  ninja -C build-asan &&
  # Its own log name: meson-logs/testlog.txt keeps the integration run's
  # (with run.py's wall and CPU time per module).
  meson test -C build-asan --no-rebuild --print-errorlogs --num-processes 2 --suite unit --logbase unitlog
}
export -f configure fuzz_chain unit_chain
export fuzz_dir
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mkdir -p build-asan
unit_log=build-asan/background-unit.log
fuzz_log=build-asan/background-fuzz.log
# Each chain in its own session, so that a failing run takes them down with
# it. A new session is also a new scheduler autogroup, which the kernel
# gives as much CPU as the group of everything else whatever its tasks'
# nice values: the chain sets its autogroup's nice value too (without it
# the integration tests got a third of the CPU, not all they asked for).
low_priority() {  # function, log
  nice -n 19 setsid bash -c "echo 19 >/proc/self/autogroup 2>/dev/null || true; $1" >"$2" 2>&1 &
}
low_priority fuzz_chain "$fuzz_log"
fuzz_pid=$!
unit_pid=
trap 'kill -- "-$fuzz_pid" ${unit_pid:+"-$unit_pid"} 2>/dev/null || true' EXIT

# Only the server first: the integration tests need nothing else.
phase "sanitizer build of the server"
configure build-asan "${asan_options[@]}"
ninja -C build-asan ringpost

# The integration tests spend most of their time waiting on sockets, timers
# and child servers (a module's CPU time is a tenth to a quarter of its wall
# time: run.py prints both), so they run eight modules at a time in the
# foreground while the two chains use, at the lowest priority, the CPU they
# leave idle.
phase "integration tests under ASan+UBSan (unit tests and fuzz targets building and running beside them)"
low_priority unit_chain "$unit_log"
unit_pid=$!
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
