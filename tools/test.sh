#!/usr/bin/env bash
# The one test command (README "Test", and what .ci/run calls): installs the
# dependencies, builds the server, tools and benchmarks optimised, then builds
# everything again with AddressSanitizer + UBSan and runs the unit and the
# integration tests under them, then the fuzz targets briefly.
#
# The integration tests run once, against the sanitizer build: it is the
# same code with every memory and UB check on, and the suite is the slow
# part. The sanitizer build is -O0: with UBSan, g++ 12 spends 4-5x longer
# compiling at -O2, and the tests wait on sockets and timers far more than
# they compute.
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

# The plain (optimised) build compiles the server, the tools and the
# benchmarks, warning-free; the tests compile once, in the sanitizer build,
# and run there (test code is most of the compile time, and the same tests
# without the sanitizers found nothing the sanitizer run missed).
phase "build (server, tools, benchmarks)"
configure build
ninja -C build programs

phase "sanitizer build"
configure build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbench=disabled -Doptimization=0
ninja -C build-asan
phase "unit and integration tests under ASan+UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  meson test -C build-asan --print-errorlogs --num-processes 2 --suite unit --suite integration

# The libFuzzer targets (docs/FUZZING.md): a clang build of only the fuzz
# targets and the libraries they link, every seed and regression input
# replayed, then each target fuzzed briefly so a new crash fails CI.
fuzz_smoke() {
  phase "fuzz targets (clang libFuzzer build, 8 s per target)"
  CXX=clang++ configure build-fuzz -Dfuzz=enabled -Db_sanitize=address,undefined -Db_lundef=false -Doptimization=1
  ninja -C build-fuzz fuzz
  tools/fuzz.sh replay all build-fuzz
  tools/fuzz.sh all 8 build-fuzz
}
fuzz_smoke

phase "done"
echo "all tests passed"
